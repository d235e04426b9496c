"""One handoff rule for every caller: reason, topic, context, priority and the emergency
numbers, from the events Rasa gives an action (or its own events, as dictionaries)."""

import dataclasses
from datetime import datetime, timezone

import pytest

from line.core import settings as config
from line.handoff import reasons, request
from line.handoff.tickets import Receipt
from line.understanding import names

OPEN = datetime(2026, 11, 25, 15, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in Lima
CLOSED = datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc)  # Wednesday 22:00 in Lima


def user(text, intent=None):
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def bot(text, utter=None):
    return {"event": "bot", "text": text, "metadata": {"utter_action": utter} if utter else {}}


def latest(intent, **keys):
    return {"intent": {"name": intent}, **keys}


@pytest.mark.parametrize(
    "intent, keys, failure, reason",
    [
        ("emergency", {"abuse_report": True}, "down", reasons.EMERGENCY),  # danger comes first
        ("faq", {"abuse_report": True}, "down", reasons.CASE),  # then abuse reported
        ("request_human", {}, "down", reasons.TECHNICAL),  # then the line failing
        ("request_human", {}, None, reasons.REQUESTED),
        ("personal_case", {}, None, reasons.CASE),
        ("complaint", {}, None, reasons.COMPLAINT),
        ("nlu_fallback", {}, None, reasons.UNRESOLVED),
        (None, {}, None, reasons.UNRESOLVED),
    ],
)
def test_one_rule_decides_the_reason(intent, keys, failure, reason):
    handoff = request.from_conversation("ana", [], latest(intent, **keys), {}, "rest", failure)
    assert handoff.reason == reason and handoff.priority == reasons.PRIORITY[reason]


POLICE_ANSWER = [
    user("no tengo papeles, y si me para la policia?", "faq"),
    bot("Si la policía te pide documentos...", "utter_faq/police_id_checks"),
]


@pytest.mark.parametrize(
    "events, keys, failure, reason",
    [
        # No papers and a status_sensitive topic: a person advises them.
        (POLICE_ANSWER, {"irregular_status": True}, None, reasons.LEGAL),
        (POLICE_ANSWER, {"irregular_status": True}, "down", reasons.LEGAL),  # before a failure
        (POLICE_ANSWER, {"irregular_status": True, "abuse_report": True}, None, reasons.CASE),
        (POLICE_ANSWER, {}, None, reasons.REQUESTED),  # papers not mentioned
        # Not a status_sensitive topic (vaccination is for everyone), or no topic at all.
        (
            [user("no tengo papeles, me vacuno?", "faq"), bot("Sí.", "utter_faq/covid_vaccine")],
            {"irregular_status": True},
            None,
            reasons.REQUESTED,
        ),
        ([], {"irregular_status": True}, None, reasons.REQUESTED),
    ],
)
def test_a_person_without_papers_on_a_status_sensitive_topic_is_legal(
    events, keys, failure, reason
):
    parse = latest("request_human", **keys)
    handoff = request.from_conversation("ana", events, parse, {}, "rest", failure)
    assert handoff.reason == reason
    if reason == reasons.LEGAL:
        assert handoff.priority == reasons.PRIORITY[reasons.CASE]


def test_legal_advice_needs_the_cue_and_a_status_sensitive_topic():
    cue = {"irregular_status": True}
    assert request.needs_legal_advice(cue, "police_id_checks")
    assert not request.needs_legal_advice(cue, "covid_vaccine")
    assert not request.needs_legal_advice(cue, None)
    assert not request.needs_legal_advice({}, "police_id_checks")


def test_the_topic_is_the_last_faq_answer_else_the_category():
    events = [
        user("los albergues cobran?", "faq"),
        bot("No cobran.", "utter_faq/shelter"),
        user("y la prueba?", "faq"),
        bot("Es gratis.", "utter_faq/covid_testing"),
        bot("¿Te sirvió?", "utter_ask_rating"),
    ]
    slots = {"service_category": "health", "region": "Lima"}
    handoff = request.from_conversation("ana", events, latest("request_human"), slots)
    assert (handoff.topic, handoff.region) == ("covid_testing", "Lima")
    plain = request.from_conversation("ana", events[:1], latest("request_human"), slots)
    assert plain.topic == "health"


def test_danger_and_its_numbers_only_for_an_emergency():
    danger = latest("emergency", danger="violence")
    handoff = request.from_conversation("ana", [], danger, {})
    assert handoff.danger == "violence"
    assert handoff.emergency_response == "utter_emergency_violence"
    unknown = request.from_conversation("ana", [], latest("emergency", danger="meteor"), {})
    assert unknown.emergency_response == "utter_emergency_general"
    not_now = request.from_conversation("ana", [], latest("faq", danger="violence"), {})
    assert not_now.danger is None and not_now.emergency_response is None


def test_the_context_is_the_last_messages_with_a_note_of_the_failure(monkeypatch):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, handoff_context_messages=2)
    )
    events = [
        user("hola"),
        bot("Hola 👋"),
        {"event": "action", "name": "action_listen"},
        user("busco albergue en Tacna", "find_service"),
        bot(""),
    ]
    handoff = request.from_conversation(
        "ana", events, latest("find_service"), {}, "whatsapp", failure="database down"
    )
    assert handoff.messages == (
        ("bot", "Hola 👋"),
        ("user", "busco albergue en Tacna"),
        ("note", "[technical] database down"),
    )
    assert handoff.channel == "whatsapp"


def test_the_other_needs_of_the_message_are_noted_for_the_operator():
    parse = latest(
        "personal_case",
        **{names.ALSO_KEY: ["find_service", "faq"], names.ALSO_FAQ_TOPIC_KEY: "covid_testing"},
    )
    handoff = request.from_conversation("ana", [user("me rechazaron y donde me vacuno")], parse, {})
    assert handoff.messages[-1] == ("note", "[also] find_service, faq (covid_testing)")
    alone = request.from_conversation("ana", [user("me rechazaron")], latest("personal_case"), {})
    assert alone.messages == (("user", "me rechazaron"),)


def test_a_message_without_a_conversation_is_a_technical_handoff():
    handoff = request.from_message("wa-1", "whatsapp", "[audio]", "not handled after 3 attempts")
    assert (handoff.reason, handoff.channel, handoff.topic) == ("technical", "whatsapp", None)
    assert handoff.messages == (
        ("user", "[audio]"),
        ("note", "[technical] not handled after 3 attempts"),
    )


def test_what_the_person_is_told():
    asked = request.Handoff("ana", reasons.REQUESTED)
    queued = Receipt(ticket_id=7, position=3, priority=2, new=True)
    assert request.reply(asked, queued, OPEN) == ("utter_handoff_queued", {"position": 3})
    assert request.reply(asked, None, OPEN) == ("utter_handoff_kept", {})
    danger = request.Handoff("ana", reasons.EMERGENCY, danger="fire")
    assert request.reply(danger, None, OPEN) == ("utter_handoff_priority", {})
    response, values = request.reply(asked, queued, CLOSED)
    assert response == "utter_handoff_after_hours" and values == {"day": "26/11", "time": "08:00"}


def test_every_reason_has_a_priority_and_intents_their_reason():
    assert (
        set(reasons.REASONS)
        == set(reasons.PRIORITY)
        >= {"requested", "unresolved", "emergency", "case", "complaint", "legal", "technical"}
    )
    assert set(request.REASON_BY_INTENT.values()) <= set(reasons.REASONS)
    assert names.EMERGENCY_INTENT in request.REASON_BY_INTENT
