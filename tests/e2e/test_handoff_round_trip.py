"""A person reaches an operator and comes back to the bot, with the real Rasa server.

The operator side runs the console's own logic (line/handoff/desk.py) against the same
database and Rasa HTTP API the running servers use.
"""

import dataclasses

import pytest

from line.core import settings as config
from line.handoff import desk, outbound, tickets
from tests.support.servers import TOKEN


@pytest.fixture
def operator_side(rasa_server, monkeypatch):
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            config.settings,
            database_url=rasa_server.db_url,
            rasa_url=rasa_server.url,
            rasa_token=TOKEN,
        ),
    )


def bot_events(person):
    return [e for e in person.tracker()["events"] if e["event"] == "bot"]


def test_ask_for_a_person_reply_close_and_the_bot_answers_again(person, operator_side):
    person.say("quiero hablar con una persona")
    assert person.tracker()["paused"]
    [ticket] = [t for t in tickets.queue() if t["sender_id"] == person.sender]
    assert ticket["reason"] == "requested"

    person.say("sigo aqui, es por mi cuarto")  # written while waiting: kept, not answered
    assert any(
        e["event"] == "user" and e["text"] == "sigo aqui, es por mi cuarto"
        for e in person.tracker()["events"]
    )

    tickets.claim(ticket["id"], "ana")
    result = desk.send_reply(ticket["id"], "ana", "Hola, soy Ana. ¿En qué distrito vives?", "k1")
    assert result.status == "sent"
    assert outbound.RestOutbox.received(person.sender) == ["Hola, soy Ana. ¿En qué distrito vives?"]
    assert any((e.get("metadata") or {}).get("operator") == "ana" for e in bot_events(person))
    assert (
        desk.send_reply(ticket["id"], "ana", "Hola, soy Ana. ¿En qué distrito vives?", "k1").status
        == "duplicate"
    )

    assert desk.close(ticket["id"], "ana", "resolved").rasa_error is None
    assert not person.tracker()["paused"]
    assert tickets.ticket(ticket["id"])["status"] == "closed"
    assert "utter_back_from_human" in person.utters()

    person.say("el seguro sis atiende a los venezolanos?")
    assert "utter_faq/health_insurance_sis" in person.utters()


def test_no_papers_and_a_status_sensitive_question_the_answer_then_a_legal_ticket(
    person, operator_side
):
    person.say("no tengo papeles, que hago si la policia me pide documentos en la calle")
    assert "utter_faq/police_id_checks" in person.utters()
    assert "utter_ask_rating" not in person.utters()
    assert person.tracker()["paused"]
    [ticket] = [t for t in tickets.queue() if t["sender_id"] == person.sender]
    assert (ticket["reason"], ticket["topic"]) == ("legal", "police_id_checks")
