"""Rasa is killed mid-turn and restarted (docs/failures.md): a WhatsApp message that
was acknowledged to Meta, but whose turn never ended, is answered exactly once by the
restarted Rasa and is in its tracker.

The real Rasa server with the WhatsApp channel and the trained model, the real action
server behind an ActionGate (slow, so the turn is still in progress when Rasa gets
SIGKILL), and the fake Graph API of tests/channels."""

from types import SimpleNamespace

import pytest
import requests
import yaml
from sqlalchemy import create_engine, text

from line.core import pseudonyms
from tests.failure.conftest import whatsapp_line
from tests.support.net import free_port, wait_until
from tests.support.requirements import ROOT
from tests.support.servers import AUTH, start_rasa, stop
from tests.support.whatsapp import PSEUDONYM_SECRET, say

REPLAY = 5  # WHATSAPP_REPLAY_SECONDS of the Rasa servers
PHONE = "51911000099"
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture(scope="module")
def line(trained_model, tmp_path_factory):
    with whatsapp_line(
        tmp_path_factory.mktemp("killed_mid_turn"), WHATSAPP_REPLAY_SECONDS=str(REPLAY)
    ) as line:
        yield line


def rasa(line, name):
    port = free_port()
    process = start_rasa(port, line.endpoints, line.env, line.work, name)
    return process, SimpleNamespace(base=f"http://127.0.0.1:{port}")


def all_done(line) -> bool:
    with create_engine(line.env["DIRECTORY_DB_URL"]).connect() as connection:
        return not connection.execute(
            text("SELECT COUNT(*) FROM whatsapp_inbox WHERE done_at IS NULL")
        ).scalar()


def texts_to(graph, phone):
    return [text for text, message in graph.received() if message["to"] == phone]


def test_a_message_cut_short_by_kill_9_is_answered_once_after_the_restart(line):
    line.gate.slow(120)  # the turn waits at the action server
    first, server = rasa(line, "rasa1")
    try:
        say(server, "quiero hablar con una persona", PHONE)  # acknowledged: 200
        assert wait_until(lambda: line.gate.received, 60), "the turn never reached an action"
    finally:
        first.kill()  # SIGKILL: no shutdown, nothing saved
        first.wait()
    assert texts_to(line.graph, PHONE) == []

    line.gate.up()
    second, server = rasa(line, "rasa2")
    try:
        queued = RESPONSES["utter_handoff_queued"][0]["text"].splitlines()[0]
        assert wait_until(
            lambda: any(t.startswith(queued) for t in texts_to(line.graph, PHONE)), 90
        ), texts_to(line.graph, PHONE)
        # Once the message is marked done no replay takes it again: nothing is sent twice.
        assert wait_until(lambda: all_done(line), 60), "the message stayed in the inbox"
        sent = texts_to(line.graph, PHONE)
        assert sent[0] == RESPONSES["utter_session_intro"][0]["text"]
        assert len(sent) == 2 and sent[1].startswith(queued), sent

        person = pseudonyms.pseudonym(PHONE, PSEUDONYM_SECRET)
        tracker = requests.get(
            f"{server.base}/conversations/{person}/tracker", params=AUTH, timeout=10
        ).json()
        said = [e["text"] for e in tracker["events"] if e["event"] == "user"]
        assert said == ["quiero hablar con una persona"] and tracker["paused"]
    finally:
        stop(second)
