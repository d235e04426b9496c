"""`make validate` (line/content/check.py): every listed topic has its file."""

from line.content import check
from line.core import topics


def _missing(problems):
    return {p.path.name: p.message for p in problems if "this file is missing" in p.message}


def test_every_contract_topic_and_rumour_has_its_topic_file():
    assert _missing(check.check_all()) == {}


def test_a_rumour_listed_without_its_topic_file_is_reported(monkeypatch):
    monkeypatch.setattr(
        topics, "rumour_ids", lambda: ["rumour_vaccine_microchip", "rumour_not_written_yet"]
    )
    missing = _missing(check.check_all())
    assert list(missing) == ["rumour_not_written_yet.yml"]
    assert "contract/rumours.yml" in missing["rumour_not_written_yet.yml"]
    assert "make new-topic" not in missing["rumour_not_written_yet.yml"]


def test_a_contract_topic_without_its_topic_file_is_reported(monkeypatch):
    monkeypatch.setattr(topics, "faq_ids", lambda: ["shelter", "school_meals"])
    missing = _missing(check.check_all())
    assert list(missing) == ["school_meals.yml"]
    assert "make new-topic ID=school_meals" in missing["school_meals.yml"]
