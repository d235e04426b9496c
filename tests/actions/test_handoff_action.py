"""action_handoff: emergency number first, a stored ticket, a clear next step, a pause."""
import dataclasses
from datetime import datetime, timezone

import pytest

from actions import handoff as handoff_action
from line import handoff, hours, pending_tickets
from line import settings as config
from line.db import DirectoryUnavailable
from tests.actions.conftest import make_tracker, run

OPEN = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)     # Wednesday 10:00 in Lima
CLOSED = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)    # Wednesday 22:00 in Lima


@pytest.fixture
def clock(monkeypatch):
    def set_clock(now):
        monkeypatch.setattr(hours, "local_now",
                            lambda cfg=hours.default_settings, _now=None: now.astimezone(
                                hours.timezone(hours.timedelta(hours=cfg.utc_offset_hours))))
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
    [ticket] = handoff.queue()
    assert ticket["reason"] == "requested" and ticket["summary"] == "quiero hablar con una persona"


@pytest.mark.parametrize("danger, response", [
    ("violence", "utter_emergency_violence"), ("suicide", "utter_emergency_suicide"),
    ("medical", "utter_emergency_medical"), (None, "utter_emergency_general")])
def test_an_emergency_gives_the_number_first_then_priority(database, domain, clock, danger, response):
    clock(OPEN)
    tracker = make_tracker("ayuda", "emergency", parse_extra={"danger": danger} if danger else {})
    messages, events = run(handoff_action.ActionHandoff(), tracker, domain)
    assert responses(messages) == [response, "utter_handoff_priority"]
    assert events[-1]["event"] == "pause"
    [ticket] = handoff.queue()
    assert ticket["priority"] == handoff.PRIORITY["emergency"] and ticket["danger"] == danger


def test_every_emergency_response_names_a_number_from_the_contract(domain):
    from line import topics
    numbers = set(topics.emergency_numbers().values())
    for kind in handoff_action.DANGER_KINDS | {"general"}:
        text = domain["responses"][f"utter_emergency_{kind}"][0]["text"]
        assert any(number in text for number in numbers), kind


def test_out_of_hours_says_when_a_person_answers(database, domain, clock):
    clock(CLOSED)
    messages, _ = run(handoff_action.ActionHandoff(), make_tracker("hola??", "nlu_fallback"), domain)
    assert responses(messages) == ["utter_handoff_after_hours"]
    assert messages[0]["day"] == "26/11" and messages[0]["time"] == "08:00"
    assert handoff.queue()[0]["reason"] == "unresolved"


def test_a_database_that_is_down_keeps_the_ticket_and_pauses(database, domain, clock,
                                                             monkeypatch, tmp_path):
    clock(OPEN)
    spool = tmp_path / "pending_tickets.jsonl"
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings,
                                                                ticket_spool_file=spool))
    monkeypatch.setattr(pending_tickets, "_keep_retrying", lambda: None)
    monkeypatch.setattr(handoff, "open_ticket", down)
    messages, events = run(handoff_action.ActionHandoff(), make_tracker("persona", "request_human"),
                           domain)
    assert responses(messages) == ["utter_handoff_kept"]
    assert [e["event"] for e in events] == ["pause"]
    assert '"sender_id": "tester"' in spool.read_text()


def test_a_ticket_nothing_can_hold_is_told_kindly_and_does_not_pause(domain, clock, monkeypatch,
                                                                     tmp_path):
    clock(OPEN)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(config, "settings", dataclasses.replace(
        config.settings, ticket_spool_file=blocker / "pending_tickets.jsonl"))
    monkeypatch.setattr(handoff, "open_ticket", down)
    messages, events = run(handoff_action.ActionHandoff(), make_tracker("persona", "request_human"),
                           domain)
    assert responses(messages) == ["utter_handoff_failed"]
    assert events == []


def down(*args, **kwargs):
    raise DirectoryUnavailable("database unavailable: connection refused")


def test_the_ticket_keeps_the_last_messages_and_the_faq_topic(database, domain, clock):
    clock(OPEN)
    history = [{"event": "user", "text": "los albergues cobran?"},
               {"event": "bot", "text": "Respuesta", "metadata": {"utter_action": "utter_faq/shelter"}}]
    tracker = make_tracker("me negaron el refugio", "personal_case", events=history)
    run(handoff_action.ActionHandoff(), tracker, domain)
    [ticket] = handoff.queue()
    assert ticket["reason"] == "case" and ticket["topic"] == "shelter"


def test_a_reported_abuse_is_a_personal_case_for_the_queue(database, domain, clock):
    clock(OPEN)
    tracker = make_tracker("el dueno del cuarto me acosa", "faq",
                           parse_extra={"abuse_report": True})
    run(handoff_action.ActionHandoff(), tracker, domain)
    [ticket] = handoff.queue()
    assert ticket["reason"] == "case" and ticket["priority"] == handoff.PRIORITY["case"]
