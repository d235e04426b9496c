"""action_handoff: emergency number first, a stored ticket, a clear next step, a pause."""

import dataclasses
from datetime import datetime, timezone

import pytest

from actions import handoff as handoff_action
from actions import paused as paused_action
from line.alerts import subscriptions
from line.core import settings as config
from line.core.db import DatabaseUnavailable
from line.handoff import hours, spool, tickets
from line.understanding import names
from tests.actions.conftest import make_tracker, run

OPEN = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Lima
CLOSED = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)  # Wednesday 22:00 in Lima


@pytest.fixture
def clock(monkeypatch):
    def set_clock(now):
        monkeypatch.setattr(hours, "current_time", lambda: now)

    return set_clock


def responses(messages):
    return [m.get("response") for m in messages]


def test_request_for_a_person_gives_queue_place_and_pauses(database, domain, clock):
    clock(OPEN)
    tracker = make_tracker("quiero hablar con una persona", "request_human")
    messages, events = run(handoff_action.ActionHandoff(), tracker, domain)
    assert responses(messages) == ["utter_handoff_queued"]
    assert messages[0]["position"] == 1
    assert [e["event"] for e in events] == ["pause"]
    [ticket] = tickets.queue()
    assert ticket["reason"] == "requested" and ticket["summary"] == "quiero hablar con una persona"


@pytest.mark.parametrize(
    "danger, response",
    [
        ("violence", "utter_emergency_violence"),
        ("suicide", "utter_emergency_suicide"),
        ("medical", "utter_emergency_medical"),
        (None, "utter_emergency_general"),
    ],
)
def test_an_emergency_gives_the_number_first_then_priority(
    database, domain, clock, danger, response
):
    clock(OPEN)
    tracker = make_tracker("ayuda", "emergency", parse_extra={"danger": danger} if danger else {})
    messages, events = run(handoff_action.ActionHandoff(), tracker, domain)
    assert responses(messages) == [response, "utter_handoff_priority"]
    assert events[-1]["event"] == "pause"
    [ticket] = tickets.queue()
    assert ticket["priority"] == tickets.PRIORITY["emergency"] and ticket["danger"] == danger


def test_every_emergency_response_names_a_number_from_the_contract(domain):
    from line.core import topics

    numbers = set(topics.emergency_numbers().values())
    for kind in (*names.DANGER_KINDS, names.GENERAL_DANGER):
        text = domain["responses"][f"utter_emergency_{kind}"][0]["text"]
        assert any(number in text for number in numbers), kind


def test_out_of_hours_says_when_a_person_answers(database, domain, clock):
    clock(CLOSED)
    messages, _ = run(
        handoff_action.ActionHandoff(), make_tracker("hola??", "nlu_fallback"), domain
    )
    assert responses(messages) == ["utter_handoff_after_hours"]
    assert messages[0]["day"] == "26/11" and messages[0]["time"] == "08:00"
    assert tickets.queue()[0]["reason"] == "unresolved"


def test_a_database_that_is_down_keeps_the_ticket_and_pauses(
    database, domain, clock, monkeypatch, tmp_path
):
    clock(OPEN)
    spool_file = tmp_path / "pending_tickets.jsonl"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, ticket_spool_file=spool_file)
    )
    monkeypatch.setattr(spool, "keep_retrying", lambda: None)
    monkeypatch.setattr(tickets, "open_ticket", down)
    messages, events = run(
        handoff_action.ActionHandoff(), make_tracker("persona", "request_human"), domain
    )
    assert responses(messages) == ["utter_handoff_kept"]
    assert [e["event"] for e in events] == ["pause"]
    assert '"sender_id": "tester"' in spool_file.read_text()


def test_a_ticket_nothing_can_hold_is_told_kindly_and_does_not_pause(
    domain, clock, monkeypatch, tmp_path
):
    clock(OPEN)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, ticket_spool_file=blocker / "pending_tickets.jsonl"),
    )
    monkeypatch.setattr(tickets, "open_ticket", down)
    messages, events = run(
        handoff_action.ActionHandoff(), make_tracker("persona", "request_human"), domain
    )
    assert responses(messages) == ["utter_handoff_failed"]
    assert events == []


def down(*args, **kwargs):
    raise DatabaseUnavailable("database unavailable: connection refused")


def test_the_ticket_keeps_the_last_messages_and_the_faq_topic(database, domain, clock):
    clock(OPEN)
    history = [
        {"event": "user", "text": "los albergues cobran?"},
        {"event": "bot", "text": "Respuesta", "metadata": {"utter_action": "utter_faq/shelter"}},
    ]
    tracker = make_tracker("me negaron el refugio", "personal_case", events=history)
    run(handoff_action.ActionHandoff(), tracker, domain)
    [ticket] = tickets.queue()
    assert ticket["reason"] == "case" and ticket["topic"] == "shelter"


def test_no_papers_on_a_status_sensitive_topic_is_a_legal_ticket(database, domain, clock):
    clock(OPEN)
    answered = {
        "event": "bot",
        "text": "Si la policía te pide documentos...",
        "metadata": {"utter_action": "utter_faq/police_id_checks"},
    }
    tracker = make_tracker(
        "no tengo papeles, que hago si me para la policia",
        "faq",
        events=[answered],
        parse_extra={names.IRREGULAR_STATUS_KEY: True},
    )
    messages, events = run(handoff_action.ActionHandoff(), tracker, domain)
    assert responses(messages) == ["utter_handoff_queued"] and events[-1]["event"] == "pause"
    [ticket] = tickets.queue()
    assert (ticket["reason"], ticket["topic"]) == ("legal", "police_id_checks")
    assert ticket["priority"] == tickets.PRIORITY["legal"]


def test_a_reported_abuse_is_a_personal_case_for_the_queue(database, domain, clock):
    clock(OPEN)
    tracker = make_tracker(
        "el dueno del cuarto me acosa", "faq", parse_extra={"abuse_report": True}
    )
    run(handoff_action.ActionHandoff(), tracker, domain)
    [ticket] = tickets.queue()
    assert ticket["reason"] == "case" and ticket["priority"] == tickets.PRIORITY["case"]


@pytest.mark.parametrize("language", ["en", "pt", "fr", "ht"])
def test_another_language_gets_a_reply_in_it_and_the_ticket_records_it(
    database, domain, clock, language
):
    clock(OPEN)
    tracker = make_tracker("hello", "other_language", parse_extra={"language": language})
    messages, _ = run(handoff_action.ActionReplyInLanguage(), tracker, domain)
    assert responses(messages) == [f"utter_other_language_{language}"]
    run(handoff_action.ActionHandoff(), tracker, domain)
    [ticket] = tickets.queue()
    assert ticket["language"] == language and ticket["reason"] == "unresolved"


def test_danger_told_while_waiting_for_a_person_gets_the_numbers_and_the_front_of_the_queue(
    database, domain, clock
):
    clock(OPEN)
    run(
        handoff_action.ActionHandoff(),
        make_tracker("quiero hablar con alguien", "request_human"),
        domain,
    )
    paused = make_tracker(
        "ahora mi pareja me esta pegando",
        "emergency",
        parse_extra={"danger": "violence"},
        paused=True,
    )
    messages, events = run(paused_action.ActionWhilePaused(), paused, domain)
    assert responses(messages) == ["utter_emergency_violence", "utter_handoff_priority"]
    assert events == []  # the conversation stays with the operator
    [ticket] = tickets.queue()
    assert ticket["priority"] == tickets.PRIORITY["emergency"] and ticket["danger"] == "violence"


def test_danger_in_a_conversation_not_paused_is_left_to_the_emergency_rule(database, domain):
    tracker = make_tracker("me esta pegando", "emergency", parse_extra={"danger": "violence"})
    assert run(paused_action.ActionWhilePaused(), tracker, domain) == ([], [])
    assert tickets.queue() == []


def test_baja_while_waiting_for_a_person_stops_alerts_at_once(database, domain):
    subscriptions.subscribe("waiting", "whatsapp", "¿Avisos? Escribe BAJA para dejarlos.")
    tracker = make_tracker("BAJA", "unsubscribe_alerts", paused=True, sender="waiting")
    messages, _ = run(paused_action.ActionWhilePaused(), tracker, domain)
    assert responses(messages) == ["utter_alerts_stopped"]
    assert not subscriptions.subscriber("waiting").active


def test_anything_else_said_while_waiting_for_a_person_gets_no_reply(database, domain):
    """Rasa asks this action after every message: only danger and BAJA get an answer."""
    tracker = make_tracker("sigo esperando", "inform", paused=True)
    assert run(paused_action.ActionWhilePaused(), tracker, domain) == ([], [])
    assert tickets.queue() == []
