"""What waits for the content team's review (line/feedback/coding.py `review`,
line/feedback/review.py): why each message waits, and decisions that take it out for good."""

import dataclasses

import pytest
from sqlalchemy import select

from line.core import settings as config
from line.core.db import session_scope
from line.feedback import coding, review, suggest
from line.feedback.coding import Feedback
from tests.line.feedback.trackers import Tracker


@pytest.fixture
def tracker(database, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, tracker_db_url=url)
    )
    return Tracker(url)


def reviews() -> dict:
    with session_scope() as session:
        rows = session.execute(select(Feedback).where(Feedback.intent.is_not(None))).scalars()
        return {row.text: (row.review, row.topic, row.confidence) for row in rows if row.text}


def test_each_message_the_line_did_not_answer_well_waits_with_why(tracker):
    tracker.turn("a", "quiero un pasaje a bolivia", "nlu_fallback", actions=("action_handoff",))
    tracker.turn(
        "b",
        "la vacuna pa los bebes",
        "faq",
        faq="child_vaccination",
        actions=("action_clarify",),
        utters=("utter_clarify",),
    )
    tracker.turn("c", "cuanto cuesta el dolar hoy", "out_of_scope", utters=("utter_out_of_scope",))
    tracker.turn(
        "d",
        "donde duermo hoy",
        "faq",
        faq="shelter",
        confidence=0.35,
        utters=("utter_faq/shelter",),
    )
    tracker.turn("e", "los albergues cobran?", "faq", faq="shelter", utters=("utter_faq/shelter",))
    tracker.turn("f", "me estan pegando", "out_of_scope", danger="violence")
    coding.ingest()
    assert reviews() == {
        "quiero un pasaje a bolivia": ("handoff", "unresolved", None),
        "la vacuna pa los bebes": ("clarified", "child_vaccination", None),
        "cuanto cuesta el dolar hoy": ("unresolved", "unresolved", None),
        "donde duermo hoy": ("low_confidence", "shelter", 0.35),
    }


def test_an_answer_rated_not_useful_waits_even_when_rated_after_it_was_coded(tracker):
    tracker.turn(
        "a", "hay albergue pa mi perro?", "faq", faq="shelter", utters=("utter_faq/shelter",)
    )
    tracker.turn(
        "b", "la prueba es gratis?", "faq", faq="covid_testing", utters=("utter_faq/covid_testing",)
    )
    tracker.turn(
        "b", "/rate_not_useful", "rate_not_useful", entities={"faq_topic": "covid_testing"}
    )
    coding.ingest()
    assert reviews() == {"la prueba es gratis?": ("not_useful", "covid_testing", 0.9)}
    tracker.turn("a", "👎", "rate_not_useful")
    coding.ingest()
    assert reviews()["hay albergue pa mi perro?"] == ("not_useful", "shelter", 0.9)
    assert len(review.waiting()) == 2


def test_a_sensitive_or_button_message_never_keeps_its_text(tracker):
    tracker.turn("a", "mi jefe me quito el pasaporte", "out_of_scope", actions=("action_handoff",))
    tracker.turn("b", '/choose_faq{"faq_topic": "shelter"}', "nlu_fallback")
    coding.ingest()
    assert reviews() == {}


def test_a_decision_takes_the_same_words_out_for_good(tracker):
    for sender, text in (
        ("a", "cuanto cuesta el pasaje a bolivia"),
        ("b", "Cuánto cuesta el pasaje a Bolivia?"),
    ):
        tracker.turn(sender, text, "nlu_fallback", actions=("action_clarify",))
    tracker.turn("c", "hay trabajo en lima", "out_of_scope")
    coding.ingest()
    assert len(review.waiting()) == 3
    key = review.text_key("cuanto cuesta el pasaje a bolivia")
    assert key == review.text_key("¿Cuánto cuesta el pasaje a Bolivia?")
    review.decide(key, review.NOT_FOR_THE_LINE, "eva")
    assert [w.text for w in review.waiting()] == ["hay trabajo en lima"]
    assert suggest.texts_to_review() == ["hay trabajo en lima"]
    tracker.turn("d", "cuanto cuesta el pasaje a bolivia!!", "nlu_fallback")
    coding.ingest()
    assert [w.text for w in review.waiting()] == ["hay trabajo en lima"]
    with pytest.raises(review.AlreadyDecided):
        review.decide(key, review.EXAMPLE, "coco", topic="travel_between_regions")
