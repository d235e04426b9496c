"""Rating and erasure actions: asked once per session and topic, stored, kind on failure."""

import asyncio
import dataclasses

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions import feedback as feedback_actions
from line.core import settings as config
from line.core.db import DatabaseUnavailable, session_scope, utc_now
from line.feedback import ratings
from line.feedback.erasure import Erasure
from line.handoff import tickets
from line.whatsapp import store as whatsapp_store
from tests.actions.conftest import make_tracker, run
from tests.line.feedback.trackers import Tracker


def answered(topic):
    return {"event": "bot", "text": "...", "metadata": {"utter_action": f"utter_faq/{topic}"}}


def test_the_first_answer_on_a_topic_asks_whether_it_helped(domain):
    tracker = make_tracker("los albergues cobran?", "faq", events=[answered("shelter")])
    messages, events = run(feedback_actions.ActionAskRating(), tracker, domain)
    [message] = messages
    assert message["response"] == "utter_ask_rating" and message["faq_topic"] == "shelter"
    assert events == [
        {"event": "slot", "timestamp": None, "name": "rating_asked", "value": ["shelter"]}
    ]


def test_the_same_topic_is_not_asked_twice_in_a_session(domain):
    tracker = make_tracker(
        "y los albergues?", "faq", events=[answered("shelter")], slots={"rating_asked": ["shelter"]}
    )
    assert run(feedback_actions.ActionAskRating(), tracker, domain) == ([], [])


def test_another_topic_is_asked_too(domain):
    tracker = make_tracker(
        "y la prueba?",
        "faq",
        events=[answered("covid_testing")],
        slots={"rating_asked": ["shelter"]},
    )
    _, events = run(feedback_actions.ActionAskRating(), tracker, domain)
    assert events[0]["value"] == ["shelter", "covid_testing"]


def test_the_rating_question_buttons_carry_the_topic(domain):
    buttons = domain["responses"]["utter_ask_rating"][0]["buttons"]
    assert [b["payload"].format(faq_topic="shelter") for b in buttons] == [
        '/rate_useful{"faq_topic": "shelter"}',
        '/rate_not_useful{"faq_topic": "shelter"}',
    ]
    assert all(len(b["title"]) <= 20 for b in buttons)  # WhatsApp reply button limit


def test_a_thumbs_down_is_stored_for_the_topic_on_the_button(database, domain):
    tracker = make_tracker(
        '/rate_not_useful{"faq_topic": "shelter"}',
        "rate_not_useful",
        entities=[("faq_topic", "shelter")],
        events=[answered("covid_testing")],
    )
    assert run(feedback_actions.ActionRateAnswer(), tracker, domain) == ([], [])
    assert ratings.per_topic() == [{"topic": "shelter", "useful": 0, "not_useful": 1, "total": 1}]


def test_a_typed_thumbs_up_rates_the_last_answer(database, domain):
    tracker = make_tracker("👍", "rate_useful", events=[answered("covid_testing")])
    run(feedback_actions.ActionRateAnswer(), tracker, domain)
    assert ratings.per_topic()[0]["topic"] == "covid_testing"


def test_a_rating_that_cannot_be_stored_does_not_break_the_turn(domain, monkeypatch):
    def down(*args, **kwargs):
        raise DatabaseUnavailable("database down")

    monkeypatch.setattr(feedback_actions.ratings, "record", down)
    tracker = make_tracker("👎", "rate_not_useful", events=[answered("shelter")])
    assert run(feedback_actions.ActionRateAnswer(), tracker, domain) == ([], [])


def test_erasing_confirms_and_schedules_the_sweep(database, domain, monkeypatch):
    swept, waited = [], []
    monkeypatch.setattr(feedback_actions.erasure, "sweep", lambda: swept.append(True))

    async def pause(seconds):
        waited.append(seconds)

    monkeypatch.setattr(feedback_actions, "pause", pause)

    async def erase_and_sweep():
        dispatcher = CollectingDispatcher()
        await feedback_actions.ActionEraseData().run(
            dispatcher, make_tracker("si", "affirm", sender="wa-erase-me"), domain
        )
        assert swept == []  # not before the grace time
        await feedback_actions.SWEEPS.finish(5)
        return dispatcher.messages

    messages = asyncio.run(erase_and_sweep())
    assert [m["response"] for m in messages] == ["utter_erase_done"]
    assert waited == [feedback_actions.settings.erasure_grace_seconds + 1]
    assert swept == [True]
    with session_scope() as session:
        assert session.execute(select(Erasure.sender_id)).scalars().all() == ["wa-erase-me"]


def test_an_erasure_that_cannot_be_stored_says_so(domain, monkeypatch):
    def down(sender_id):
        raise DatabaseUnavailable("database down")

    monkeypatch.setattr(feedback_actions.erasure, "request", down)
    messages, _ = run(feedback_actions.ActionEraseData(), make_tracker("si", "affirm"), domain)
    assert [m["response"] for m in messages] == ["utter_erase_failed"]


def test_a_reported_abuse_is_handed_off_after_the_answer_not_rated(domain):
    tracker = make_tracker(
        "el encargado me pide favores a cambio de la canasta",
        "faq",
        events=[answered("shelter")],
        parse_extra={"abuse_report": True},
    )
    messages, events = run(feedback_actions.ActionAskRating(), tracker, domain)
    assert messages == []
    assert events == [{"event": "followup", "timestamp": None, "name": "action_handoff"}]


def test_a_typed_yes_to_the_rating_question_is_useful(database, domain):
    tracker = make_tracker("si", "affirm", events=[answered("line_hours")])
    run(feedback_actions.ActionRateAnswer(), tracker, domain)
    assert ratings.per_topic()[0]["useful"] == 1


@pytest.mark.parametrize(
    "topic, handed_over",
    [("police_id_checks", True), ("regularization_cpp", True), ("covid_vaccine", False)],
)
def test_no_papers_on_a_status_sensitive_topic_is_handed_off_after_the_answer(
    domain, topic, handed_over
):
    tracker = make_tracker(
        "entre por trocha, que hago?",
        "faq",
        events=[answered(topic)],
        parse_extra={"irregular_status": True},
    )
    messages, events = run(feedback_actions.ActionAskRating(), tracker, domain)
    if handed_over:
        assert messages == []
        assert events == [{"event": "followup", "timestamp": None, "name": "action_handoff"}]
    else:  # vaccination is for everyone: the usual rating question
        assert [m["response"] for m in messages] == ["utter_ask_rating"]


def test_a_status_sensitive_answer_without_the_cue_asks_for_a_rating(domain):
    tracker = make_tracker(
        "que hago si me para la policia", "faq", events=[answered("police_id_checks")]
    )
    messages, _ = run(feedback_actions.ActionAskRating(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_ask_rating"]


@pytest.fixture
def stored(database, tmp_path, monkeypatch):
    """A tracker store where "wa-ana" had one conversation of two messages."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_db_url=url, privacy_delete_after_days=120),
    )
    conversation = Tracker(url)
    conversation.session("wa-ana")
    conversation.turn("wa-ana", "hola", "greet")
    conversation.turn("wa-ana", "que datos tienen de mi", "ask_my_data")


def test_the_summary_of_stored_data_counts_and_says_how_long(stored, domain):
    tickets.open_ticket("wa-ana", "requested", messages=[("user", "ayuda")])
    ratings.record("wa-ana", "shelter", useful=True)
    messages, events = run(
        feedback_actions.ActionShowMyData(), make_tracker("si", "affirm", sender="wa-ana"), domain
    )
    summary, contact, retention = messages
    assert summary["response"] == "utter_my_data_summary"
    assert {k: summary[k] for k in ("conversations", "messages", "open_tickets", "ratings")} == {
        "conversations": 1,
        "messages": 2,
        "open_tickets": 1,
        "ratings": 1,
    }
    assert (summary["closed_tickets"], summary["media"]) == (0, 0)
    assert contact["response"] == "utter_my_data_no_contact"
    assert (retention["response"], retention["days"]) == ("utter_my_data_retention", 120)
    # Every variable the summary's wording needs is given.
    text = domain["responses"]["utter_my_data_summary"][0]["text"]
    assert text.format(**summary)
    assert events == []


def test_someone_with_nothing_stored_is_told_so(stored, domain):
    whatsapp_store.record_inbound("wa-luis", "51911222333", utc_now())
    messages, _ = run(
        feedback_actions.ActionShowMyData(), make_tracker("si", "affirm", sender="wa-luis"), domain
    )
    assert [m["response"] for m in messages] == [
        "utter_my_data_none",  # no conversation, ticket or rating stored yet...
        "utter_my_data_contact_kept",  # ...but the number replies go to is kept
        "utter_my_data_retention",
    ]


def test_a_summary_that_cannot_be_read_says_so(domain, monkeypatch):
    def down(sender_id):
        raise DatabaseUnavailable("database down")

    monkeypatch.setattr(feedback_actions.rights, "summary", down)
    messages, _ = run(feedback_actions.ActionShowMyData(), make_tracker("si", "affirm"), domain)
    assert [m["response"] for m in messages] == ["utter_my_data_failed"]
