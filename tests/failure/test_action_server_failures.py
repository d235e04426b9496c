"""The action server is down or slow (docs/failures.md), with the real Rasa server and
the trained model: the person gets utter_line_trouble, a ticket is stored and the
conversation is paused for an operator; once the action server is back, the operator
closes the ticket and the line works as before.

Rasa reaches its action server through an ActionGate: nothing listens on its port
(down), or a real HTTP server passes calls to the real action server late (slow) or
at once (up). The tests run in order on one Rasa server."""

import dataclasses
import time
from types import SimpleNamespace

import pytest
import yaml

from line.core import settings as config
from line.handoff import desk, tickets
from tests.failure.conftest import ActionGate
from tests.support.net import free_port, wait_until
from tests.support.requirements import ROOT
from tests.support.servers import TOKEN, Conversation, bot_texts, prepare, serving
from tests.support.whatsapp import faq

TIMEOUT = 3  # ACTION_TIMEOUT_SECONDS of this Rasa server
MARGIN = 6  # the model and the ticket, on a busy 2-core machine
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
TROUBLE = RESPONSES["utter_line_trouble"][0]["text"]


@pytest.fixture(scope="module")
def line(trained_model, tmp_path_factory):
    work = tmp_path_factory.mktemp("action_failures")
    rasa_port, gate_port, actions_port = free_port(), free_port(), free_port()
    db_url = f"sqlite:///{work / 'line.db'}"
    env, endpoints = prepare(
        work,
        db_url,
        gate_port,
        ACTION_TIMEOUT_SECONDS=str(TIMEOUT),
        LINE_TICKET_SPOOL=str(work / "pending_tickets.jsonl"),
    )
    gate = ActionGate(gate_port, f"http://127.0.0.1:{actions_port}/webhook")
    try:
        with serving(env, work, actions_port, rasa_port, endpoints) as url:
            yield SimpleNamespace(url=url, db_url=db_url, gate=gate, people={})
    finally:
        gate.down()


@pytest.fixture
def operator_side(line, monkeypatch):
    """The console's own logic (line/handoff/desk.py) on the database and Rasa the servers use."""
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            config.settings, database_url=line.db_url, rasa_url=line.url, rasa_token=TOKEN
        ),
    )


def open_tickets(person):
    return [t for t in tickets.queue() if t["sender_id"] == person.sender]


def notes(ticket):
    return [m["text"] for m in tickets.ticket(ticket["id"])["messages"] if m["author"] == "note"]


def test_with_the_action_server_down_a_person_takes_over(line, operator_side):
    line.gate.down()
    ana = line.people["ana"] = Conversation(line.url)
    assert bot_texts(ana.say("quiero hablar con una persona")) == [TROUBLE]
    assert ana.tracker()["paused"] and ana.utters()[-1] == "utter_line_trouble"
    [ticket] = open_tickets(ana)
    assert ticket["reason"] == "technical" and ticket["summary"] == "quiero hablar con una persona"
    [note] = notes(ticket)
    assert note.startswith("[technical] action_handoff failed") and "Couldn't connect" in note

    beto = line.people["beto"] = Conversation(line.url)  # a search stops its form
    assert bot_texts(beto.say("busco albergue en Tacna")) == [TROUBLE]
    tracker = beto.tracker()
    assert tracker["paused"] and not tracker["active_loop"]
    [ticket] = open_tickets(beto)
    assert ticket["reason"] == "technical" and "validate_service_search_form" in notes(ticket)[0]

    # Only the greeting of a new session and the "¿Te sirvió?" after an answer needed
    # the action server: without them the answer is given and nobody is handed over.
    carla = line.people["carla"] = Conversation(line.url)
    question, _ = faq("covid_testing")
    assert TROUBLE not in bot_texts(carla.say(question))
    assert carla.utters() == ["utter_faq/covid_testing"]
    assert not carla.tracker()["paused"] and not open_tickets(carla)


def test_with_a_slow_action_server_the_person_is_told_within_the_timeout(line, operator_side):
    carla = line.people["carla"]  # her session started in the last test
    line.gate.slow(3 * TIMEOUT)
    began = time.monotonic()
    reply = carla.say("quiero hablar con una persona")
    took = time.monotonic() - began
    assert TIMEOUT <= took < TIMEOUT + MARGIN, took
    assert bot_texts(reply) == [TROUBLE]
    assert carla.tracker()["paused"]
    [ticket] = open_tickets(carla)
    assert notes(ticket) == [f"[technical] action_handoff took more than {TIMEOUT} s"]

    # The slow server answers in the end and its action_handoff stores its ticket:
    # it joins the open one, and its late messages never reach the person.
    events = len(carla.tracker()["events"])
    assert wait_until(lambda: "action_handoff" in line.gate.forwarded, 4 * TIMEOUT)
    [ticket] = open_tickets(carla)
    assert not wait_until(lambda: len(carla.tracker()["events"]) != events, 1, every=0.2)


def test_once_the_action_server_is_back_operators_close_and_the_line_answers(line, operator_side):
    line.gate.up()
    for name in ("ana", "beto", "carla"):
        person = line.people[name]
        [ticket] = open_tickets(person)
        tickets.claim(ticket["id"], "ana_operadora")
        assert desk.close(ticket["id"], "ana_operadora", "resolved").rasa_error is None
        assert not person.tracker()["paused"]

    beto = line.people["beto"]
    beto.say("busco albergue en Tacna")
    assert "utter_services_found" in beto.utters() or "utter_services_none" in beto.utters()

    dani = Conversation(line.url)  # a new conversation
    reply = dani.say("quiero hablar con una persona")
    assert dani.utters()[-1] == "utter_handoff_queued" and dani.tracker()["paused"]
    assert TROUBLE not in bot_texts(reply)
    [ticket] = open_tickets(dani)
    assert ticket["reason"] == "requested"
