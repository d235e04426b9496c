"""SIGTERM reaches Rasa during turns (Kubernetes stopping a pod, docs/scale.md): the turns
in progress end, nothing is lost, and the process exits cleanly.

The real Rasa server with the WhatsApp channel and the trained model, the real action
server behind an ActionGate (slow, so the turns are still in progress when the signal
comes), and the fake Graph API of tests/channels. One person writes on WhatsApp, another
over REST, both waiting on an action when Rasa gets SIGTERM; a third message arrives
while Rasa shuts down."""

import signal
import threading
import uuid
from types import SimpleNamespace

import pytest
import requests
import yaml
from sqlalchemy import create_engine, text

from line.core import pseudonyms
from tests.failure.conftest import whatsapp_line
from tests.support.net import free_port, wait_until
from tests.support.requirements import ROOT
from tests.support.servers import Conversation, start_rasa, stop
from tests.support.whatsapp import PSEUDONYM_SECRET, payload, post, say

PHONE, LATE_PHONE = "51911000077", "51911000078"
DELAY = 2.0  # each action call waits this long at the gate
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture(scope="module")
def line(trained_model, tmp_path_factory):
    with whatsapp_line(tmp_path_factory.mktemp("graceful_shutdown")) as line:
        yield line


def rows(line, query):
    with create_engine(line.env[query[0]]).connect() as connection:
        return connection.execute(text(query[1])).all()


def test_sigterm_during_turns_lets_them_end_and_loses_nothing(line):
    line.gate.slow(DELAY)
    port = free_port()
    rasa = start_rasa(port, line.endpoints, line.env, line.work)
    server = SimpleNamespace(base=f"http://127.0.0.1:{port}")
    rest = Conversation(server.base)
    reply = {}
    try:
        say(server, "quiero hablar con una persona", PHONE)  # acknowledged: 200
        asking = threading.Thread(
            target=lambda: reply.setdefault("it", rest.say("donde me vacuno en trujillo"))
        )
        asking.start()
        assert wait_until(lambda: len(line.gate.received) >= 2, 60), line.gate.received
        rasa.send_signal(signal.SIGTERM)  # both turns wait at the action server

        # A message while Rasa shuts down: refused (Meta delivers it again) or kept.
        late = payload("text.json").replace(b"51987654321", LATE_PHONE.encode())
        late = late.replace(b"MDAwMDAxAA==", uuid.uuid4().hex.encode())
        try:
            late_status = post(f"{server.base}/webhooks/whatsapp/webhook", late).status_code
        except requests.RequestException:
            late_status = None
        asking.join(60)
        assert rasa.wait(60) == 0, (line.work / "rasa.log").read_text()[-3000:]
    finally:
        if rasa.poll() is None:
            stop(rasa)

    # The WhatsApp turn ended: the person was told their place in the queue.
    queued = RESPONSES["utter_handoff_queued"][0]["text"].splitlines()[0]
    to_person = [t for t, m in line.graph.received() if m["to"] == PHONE]
    assert any(t.startswith(queued) for t in to_person), to_person
    # The REST turn ended too: its caller got the answer.
    assert reply.get("it"), "the REST caller got no answer"
    # Both turns are stored whole, and the WhatsApp message is done: nothing to answer twice.
    person = pseudonyms.pseudonym(PHONE, PSEUDONYM_SECRET)
    for sender, action in ((person, "action_handoff"), (rest.sender, "action_find_services")):
        events = rows(
            line,
            (
                "TRACKER_DB_URL",
                f"SELECT type_name, action_name FROM events WHERE sender_id = '{sender}' "
                "ORDER BY id",
            ),
        )
        # A turn ends listening, or paused for an operator after a handoff.
        assert ("action", action) in events, events
        assert events[-1] in (("action", "action_listen"), ("pause", None)), events
    inbox = rows(
        line, ("DIRECTORY_DB_URL", "SELECT pseudonym, done_at, message FROM whatsapp_inbox")
    )
    assert [(p, done is not None) for p, done, _ in inbox if p == person] == [(person, True)]
    # The late message was refused, or it waits in the inbox, whole, for another instance.
    late_rows = [r for r in inbox if r[0] == pseudonyms.pseudonym(LATE_PHONE, PSEUDONYM_SECRET)]
    if late_status == 200:
        assert late_rows and (late_rows[0][1] is not None or late_rows[0][2]), late_rows
    else:
        assert not late_rows
    [ticket] = rows(line, ("DIRECTORY_DB_URL", "SELECT sender_id, status FROM tickets"))
    assert ticket == (person, "waiting")
