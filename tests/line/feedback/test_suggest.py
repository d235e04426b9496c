"""`make suggest`: unresolved questions grouped, each group with its nearest topic."""

import dataclasses

import pytest
import yaml

from line.core import settings as config
from line.feedback import coding, suggest
from tests.line.feedback.trackers import Tracker, seed

BUS = [
    "el pasaje de bus a bolivia cuanto sale",
    "cuanto cuesta el pasaje de bus a bolivia",
    "pasaje en bus pa bolivia cuanto es",
]
SHELTER = [
    "hay albergue pa dormir esta noche con mis hijos",
    "donde duermo esta noche, hay albergues con cupo?",
]


@pytest.fixture
def tracker(database, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, tracker_db_url=url)
    )
    tracker = Tracker(url)
    for n, text in enumerate(BUS + SHELTER):
        tracker.turn(f"person{n}", text, "nlu_fallback", actions=("action_clarify",))
    return tracker


def test_similar_questions_are_grouped_and_matched_to_a_topic(tracker):
    coding.ingest()
    groups = suggest.group(suggest.texts_to_review(), suggest.topic_examples())
    by_messages = {frozenset(g.messages): g for g in groups}
    assert set(by_messages) == {frozenset(BUS), frozenset(SHELTER)}
    assert by_messages[frozenset(SHELTER)].proposal == "proposed examples for topic shelter"
    assert by_messages[frozenset(BUS)].proposal == "proposed new topic"


def test_the_result_is_deterministic(tracker):
    coding.ingest()
    texts, examples = suggest.texts_to_review(), suggest.topic_examples()
    assert suggest.group(texts, examples) == suggest.group(list(texts), examples)


def test_only_unresolved_non_sensitive_questions_are_read(database, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, tracker_db_url=url)
    )
    seed(url)
    coding.ingest()
    assert suggest.texts_to_review() == [
        "cuanto cuesta el pasaje a bolivia, escribeme a <EMAIL>",
        "el pasaje de bus a bolivia cuanto sale",
    ]


def test_the_file_lists_redacted_proposals(tracker, tmp_path):
    tracker.turn(
        "person9",
        "soy Yuleisy Carrasquel, DNI 45678912, mi numero es 987654321, el pasaje de bus a "
        "bolivia cuanto sale",
        "nlu_fallback",
        actions=("action_handoff",),
    )
    out = tmp_path / "reports" / "suggestions.yml"
    assert suggest.main(["--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for identifier in ("Yuleisy", "Carrasquel", "45678912", "987654321"):
        assert identifier not in text
    assert "soy <NOMBRE>, DNI <DOCUMENTO>, mi numero es <TELEFONO>" in text
    assert text.startswith("# Proposals from `make suggest`")
    groups = yaml.safe_load(text)["groups"]
    assert groups[0]["asked"] == 4 and groups[0]["proposal"] == "proposed new topic"
    assert {g["nearest_topic"] for g in groups} >= {"shelter"}


def test_nothing_unresolved_gives_an_empty_file(database, tmp_path, monkeypatch):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_db_url=f"sqlite:///{tmp_path / 'none.db'}"),
    )
    out = tmp_path / "suggestions.yml"
    assert suggest.main(["--out", str(out)]) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == {"groups": []}
