"""`make content-due` (line/content/provenance.py): answers whose review day has passed or
comes within 30 days, the most urgent first; a reminder, never a failure."""

import dataclasses
from datetime import date

import yaml

from line.content import provenance
from line.core import settings as config

TODAY = date(2026, 12, 5)


def write_topic(faq_dir, topic, title, review_by):
    metadata = {"title": title}
    if review_by is not None:
        metadata["review_by"] = review_by
    data = {"nlu": [{"intent": f"faq/{topic}", "metadata": metadata, "examples": "- x\n"}]}
    (faq_dir / f"{topic}.yml").write_text(yaml.safe_dump(data), encoding="utf-8")


def test_answers_past_or_within_30_days_are_due_most_urgent_first(tmp_path):
    write_topic(tmp_path, "shelter", "Albergues", date(2027, 1, 4))  # 30 days left
    write_topic(tmp_path, "work_rights", "Trabajo", date(2026, 12, 1))  # 4 days late
    write_topic(tmp_path, "covid_testing", "Prueba", date(2027, 1, 5))  # 31 days: not yet
    write_topic(tmp_path, "line_hours", "Horario", "2026-12-05")  # today
    rows = provenance.due(TODAY, faq_dir=tmp_path)
    assert [(r.topic, r.title, r.days_left) for r in rows] == [
        ("work_rights", "Trabajo", -4),
        ("line_hours", "Horario", 0),
        ("shelter", "Albergues", 30),
    ]
    assert [provenance.describe(r).split(": ", 1)[1] for r in rows] == [
        "review by 2026-12-01, 4 day(s) late",
        "review by 2026-12-05, due today",
        "review by 2027-01-04, 30 day(s) left",
    ]


def test_an_answer_without_a_readable_review_day_is_due_at_once(tmp_path):
    write_topic(tmp_path, "shelter", "Albergues", None)
    write_topic(tmp_path, "work_rights", "Trabajo", "pronto")
    assert [(r.topic, r.days_left) for r in provenance.due(TODAY, faq_dir=tmp_path)] == [
        ("shelter", 0),
        ("work_rights", 0),
    ]


def test_content_due_prints_plain_words_and_exits_0(tmp_path, monkeypatch, capsys):
    write_topic(tmp_path, "work_rights", "Trabajo", date(2026, 12, 1))
    settings = dataclasses.replace(config.settings, faq_dir=tmp_path)
    monkeypatch.setattr(config, "settings", settings)
    monkeypatch.setattr(provenance, "local_today", lambda: TODAY)
    assert provenance.main() == 0
    out = capsys.readouterr().out
    assert "1 answer(s) to review" in out
    assert "work_rights (Trabajo): review by 2026-12-01, 4 day(s) late" in out

    write_topic(tmp_path, "work_rights", "Trabajo", date(2027, 3, 5))
    assert provenance.main() == 0
    assert "No answer is due for review in the next 30 days." in capsys.readouterr().out
