"""`make report` on a seeded tracker store: CSV without identifiers, charts, HTML."""

import csv
import dataclasses
import re
from datetime import date, datetime, timedelta

import pytest

from line.core import settings as config
from line.core import topics
from line.core.db import session_scope
from line.feedback import dashboard, erasure, ratings, report
from line.feedback.coding import Feedback
from line.handoff import tickets
from tests.line.feedback.trackers import seed
from tests.support.requirements import fresh_sqlite, point_line_at


def seeded_report(patch, migrated_sqlite, folder):
    """The report of a seeded tracker store and two tickets, one claimed."""
    url = f"sqlite:///{folder / 'tracker.db'}"
    point_line_at(patch, fresh_sqlite(migrated_sqlite, folder / "line.db"), tracker_db_url=url)
    seed(url)
    tickets.open_ticket("51987654321", "emergency", messages=[("user", "me estan pegando")])
    tickets.open_ticket("maria@rest", "unresolved")
    tickets.claim(2, "ana")
    return report.build(folder / "reports")


@pytest.fixture(scope="module")
def built(migrated_sqlite, tmp_path_factory):
    """One report for the tests that only read it (building one takes a while: charts)."""
    with pytest.MonkeyPatch.context() as patch:
        yield seeded_report(patch, migrated_sqlite, tmp_path_factory.mktemp("report"))


@pytest.fixture
def fresh(migrated_sqlite, tmp_path, monkeypatch):
    """A report of its own, for a test that changes the data behind it."""
    return seeded_report(monkeypatch, migrated_sqlite, tmp_path)


def test_the_csv_follows_the_codebook(built):
    with open(built.folder / "feedback.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == report.CSV_COLUMNS
    assert len(rows) == 8  # the greeting is a dialogue step, not feedback
    assert {r["feedback_type"] for r in rows} == {
        "question",
        "concern",
        "complaint",
        "appreciation",
    }
    assert {r["sensitive"] for r in rows} == {"yes", "no"}


def test_the_csv_holds_no_phone_numbers_names_or_sender_ids(built):
    content = (built.folder / "feedback.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(content.splitlines()):
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row.pop("date"))
        for cell in row.values():
            assert not re.search(r"\d(?:\D{0,2}\d){5,}", cell), cell
    assert "@" not in content and "wa-" not in content
    for identifying in ("51987654321", "maria", "0123456789abcdef", "pegando", "pasaje"):
        assert identifying not in content.lower()


def test_the_html_embeds_the_charts_and_the_tables(built):
    html = (built.folder / "index.html").read_text(encoding="utf-8")
    for chart in (
        "messages_per_day.png",
        "feedback_by_type.png",
        "feedback_by_topic.png",
        "feedback_by_region.png",
    ):
        assert (built.folder / chart).stat().st_size > 0
        assert f'src="{chart}"' in html
    assert "el pasaje de bus a bolivia cuanto sale" in html
    assert "escribeme a &lt;EMAIL&gt;" in html and "maria@correo.pe" not in html
    assert "123456789" not in html and "me estan pegando" not in html
    assert "Valoraciones por tema" in html


def test_ratings_per_topic_and_erasures_are_in_the_report(fresh, tmp_path):
    ratings.record("ana", "shelter", useful=False)
    ratings.record("luis", "shelter", useful=True)
    erasure.request("maria@rest")
    html = (report.build(tmp_path / "again").folder / "index.html").read_text(encoding="utf-8")
    title = topics.faq_titles()["shelter"]
    row = re.search(rf"<td>{re.escape(title)} <small>\(shelter\)</small></td>(.*?)</tr>", html)
    assert re.findall(r"<td>([^<]*)</td>", row.group(1)) == ["1", "1", "50 %"]
    assert "maria" not in html


def test_a_text_coded_before_the_detector_is_quoted_redacted(fresh, tmp_path):
    said = "me llamo Yuleisy Carrasquel, DNI 45678912, cel 987654321, y el bono?"
    with session_scope() as session:
        session.add(
            Feedback(
                sender_hash="0" * 32,
                timestamp=1.0,
                event_id=10_000,
                date=date(2024, 1, 2),
                channel="whatsapp",
                intent="nlu_fallback",
                feedback_type="question",
                topic="unresolved",
                status="unanswered",
                text=said,
            )
        )
    html = (report.build(tmp_path / "again").folder / "index.html").read_text(encoding="utf-8")
    assert "me llamo &lt;NOMBRE&gt;, DNI &lt;DOCUMENTO&gt;, cel &lt;TELEFONO&gt;" in html
    for identifier in ("Yuleisy", "Carrasquel", "45678912", "987654321"):
        assert identifier not in html


def test_waiting_times_come_from_the_tickets(built):
    figures = dashboard.handoffs(report.EVERYTHING, now=datetime.utcnow() + timedelta(minutes=30))
    assert figures["total"] == 2 and figures["claimed"] == 1
    assert dict(figures["by_reason"]) == {"emergency": 1, "unresolved": 1}
    assert figures["longest_current_wait"] >= 30


def test_a_missing_tracker_store_still_gives_a_report(database, tmp_path, monkeypatch):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_db_url=f"sqlite:///{tmp_path / 'none.db'}"),
    )
    result = report.build(tmp_path / "out")
    assert result.ingested is None
    assert "No se encontró la base de conversaciones" in (
        tmp_path / "out" / "index.html"
    ).read_text(encoding="utf-8")
