"""/informes, the coordinators' dashboard: who may open it, its filters, its CSV."""

from __future__ import annotations

import csv
import dataclasses
import io
import re

import pytest

from line.core import settings as config
from line.feedback import report
from line.handoff import hours
from tests.line.feedback.generated import generate


@pytest.fixture
def no_tracker(tmp_path, monkeypatch):
    """No tracker store yet: the page shows what was coded before (the generated rows)."""
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_db_url=f"sqlite:///{tmp_path / 'none.db'}"),
    )


def figure(page, name: str) -> int:
    return int(re.search(rf'id="cifra-{name}">(\d+)<', page.text).group(1))


def test_coordinators_editors_and_trainers_read_it_operators_do_not(login, no_tracker):
    for name in ("coco", "eva", "tito"):
        page = login(name).get("/informes")
        assert page.status_code == 200, name
        assert "Informes" in page.text and 'href="/informes"' in page.text
        assert '<option value="rumour">Rumor</option>' in page.text
        assert "Todavía no hay base de conversaciones" in page.text
    ana = login("ana")
    assert ana.get("/informes").status_code == 403
    assert ana.get("/informes/retroalimentacion.csv").status_code == 403


def test_filters_change_the_figures_and_stay_in_the_links(login, no_tracker):
    today = hours.local_now().date()
    made = generate(today, days=1, per_day=30)
    coco = login("coco")
    day = {"desde": today.isoformat(), "hasta": today.isoformat()}
    everything = coco.get("/informes", params=day)
    assert figure(everything, "mensajes") == 30
    assert figure(everything, "codificados") == 29
    assert 'id="grafico-tendencia"' in everything.text and "<svg" in everything.text
    assert "Retroalimentación por día, por tipo" in everything.text

    rumours = coco.get("/informes", params={**day, "tipo": "rumour"})
    assert figure(rumours, "codificados") == sum(r.feedback_type == "rumour" for r in made) > 0
    assert '<option value="rumour" selected>Rumor</option>' in rumours.text
    assert f"/informes/retroalimentacion.csv?desde={today}&amp;hasta={today}&amp;tipo=rumour" in (
        rumours.text
    )
    lima = coco.get("/informes", params={**day, "region": "Lima"})
    assert figure(lima, "codificados") == sum(
        r.region == "Lima" and bool(r.feedback_type) for r in made
    )
    shelter = coco.get("/informes", params={**day, "tema": "shelter"})
    assert figure(shelter, "codificados") == sum(r.topic == "shelter" for r in made)
    assert 'id="tema-shelter"' in shelter.text and 'id="tema-food"' not in shelter.text
    # Topics by their titles, never their ids.
    assert "<td>Albergues</td>" in shelter.text or "Albergue" in shelter.text


def test_a_filter_that_cannot_be_used_is_said_kindly(login, no_tracker):
    page = login("coco").get(
        "/informes", params={"desde": "ayer", "region": "Gotham", "tipo": "elogio"}
    )
    assert page.status_code == 200
    assert "«ayer» no es una fecha" in page.text
    assert "«Gotham» no es una región del Perú" in page.text
    assert "«elogio» no es un tipo del libro de códigos" in page.text


def test_the_csv_is_the_codebooks_with_the_filters(login, no_tracker):
    today = hours.local_now().date()
    made = generate(today, days=3, per_day=10)
    coco = login("coco")
    got = coco.get(
        "/informes/retroalimentacion.csv",
        params={"desde": today.isoformat(), "hasta": today.isoformat(), "tipo": "question"},
    )
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in got.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8"))))
    assert tuple(rows[0]) == report.CSV_COLUMNS
    wanted = [r for r in made if r.date == today and r.feedback_type == "question"]
    assert len(rows) - 1 == len(wanted) > 0
    assert {row[2] for row in rows[1:]} == {"question"}
    assert {row[0] for row in rows[1:]} == {today.isoformat()}
    # A hand-made link with a filter the page cannot use goes to the page, which says why.
    wrong = coco.get("/informes/retroalimentacion.csv", params={"tipo": "elogio"})
    assert wrong.url.endswith("/informes?tipo=elogio")
    assert "«elogio» no es un tipo" in wrong.text


def test_each_visit_codes_the_new_conversations_first(login, tmp_path, monkeypatch):
    """Like `make report`: what the line recorded since the last look is in the figures."""
    from line.feedback import dashboard
    from tests.line.feedback.trackers import seed

    tracker = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, tracker_db_url=tracker)
    )
    seed(tracker)
    page = login("coco").get("/informes", params={"desde": "2026-01-01", "hasta": "2026-12-31"})
    assert "Todavía no hay base de conversaciones" not in page.text
    assert "No se pudieron codificar" not in page.text
    coded = dashboard.summary(dashboard.Filters()).coded
    assert figure(page, "codificados") == coded == 8


def test_a_tracker_store_that_cannot_be_read_is_said_and_the_page_still_shows(login):
    """The tests' tracker store is the line's own database, which has no events table."""
    page = login("coco").get("/informes")
    assert page.status_code == 200
    assert "No se pudieron codificar las conversaciones más recientes" in page.text
    assert figure(page, "mensajes") == 0
