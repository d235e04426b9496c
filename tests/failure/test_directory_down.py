"""The directory database is down (docs/failures.md), with the real Rasa server, the
action server and PostgreSQL: the person is told kindly and handed over, the ticket
waits in the spool while the database refuses connections, and is written as soon as
it answers again.

The servers reach a throwaway database through a TCP proxy that the test closes, so
the machine's PostgreSQL keeps running for everyone else."""
import dataclasses
import os
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
import yaml
from sqlalchemy.engine import make_url

from line import db, handoff
from line import settings as config
from tests.e2e.conftest import ROOT, Conversation, free_port, serving
from tests.failure.conftest import bot_texts, write_endpoints
from tests.line.conftest import postgres_url  # noqa: F401 (fixture)
from tests.production.proxy import Proxy

RETRY = 1            # LINE_TICKET_RETRY of the servers
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture(scope="module")
def line(model, postgres_url, tmp_path_factory):  # noqa: F811
    work = tmp_path_factory.mktemp("directory_down")
    direct = make_url(postgres_url)
    proxy = Proxy((direct.host, direct.port))
    through_proxy = direct.set(port=proxy.port).render_as_string(hide_password=False)
    rasa_port, actions_port = free_port(), free_port()
    spool = work / "pending_tickets.jsonl"
    env = {**os.environ, "DIRECTORY_DB_URL": through_proxy, "LINE_TICKET_SPOOL": str(spool),
           "LINE_TICKET_RETRY": str(RETRY), "LINE_DB_TIMEOUT": "3",
           "LINE_OPERATOR_DAYS": "0-6", "LINE_OPERATOR_OPEN": "0", "LINE_OPERATOR_CLOSE": "24"}
    db.engine(postgres_url).dispose()
    with db.engine(postgres_url).begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    subprocess.run([sys.executable, "-m", "line.directory_cli", "load-sample"], cwd=ROOT,
                   env={**env, "DIRECTORY_DB_URL": postgres_url}, check=True, capture_output=True)
    endpoints = write_endpoints(work / "endpoints.yml", actions_port, work / "tracker.db")
    proxy.up()
    try:
        with serving(env, work, actions_port, rasa_port, endpoints) as url:
            yield SimpleNamespace(url=url, proxy=proxy, spool=spool)
    finally:
        proxy.down()


@pytest.fixture
def tickets(postgres_url, monkeypatch):  # noqa: F811
    """The open tickets, read straight from PostgreSQL (not through the proxy)."""
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings,
                                                                database_url=postgres_url))
    return lambda person: [t for t in handoff.queue() if t["sender_id"] == person.sender]


def test_a_search_while_the_database_is_down_ends_with_a_person_and_a_kept_ticket(line, tickets):
    ana = Conversation(line.url)
    ana.say("hola")                                   # works while the database answers
    line.proxy.down()
    try:
        reply = ana.say("busco albergue en Tacna")
        assert bot_texts(reply)[0] == RESPONSES["utter_directory_unavailable"][0]["text"]
        assert ana.utters()[-2:] == ["utter_directory_unavailable", "utter_handoff_kept"]
        assert ana.tracker()["paused"]
        beto = Conversation(line.url)
        beto.say("quiero hablar con una persona")
        assert beto.utters()[-1] == "utter_handoff_kept" and beto.tracker()["paused"]
        time.sleep(2 * RETRY)                         # retries fail while it is down
        kept = line.spool.read_text()
        assert ana.sender in kept and beto.sender in kept
        assert not tickets(ana) and not tickets(beto)
    finally:
        line.proxy.up()

    deadline = time.monotonic() + 10 * RETRY + 10
    while time.monotonic() < deadline and not (tickets(ana) and tickets(beto)):
        time.sleep(0.5)
    [ticket] = tickets(ana)
    assert (ticket["reason"], ticket["topic"], ticket["region"]) == ("technical", "shelter",
                                                                      "Tacna")
    thread = handoff.ticket(ticket["id"])["messages"]
    assert ("user", "busco albergue en Tacna") in [(m["author"], m["text"]) for m in thread]
    assert any(m["author"] == "note" and "unavailable" in m["text"] for m in thread)
    assert tickets(beto)[0]["reason"] == "requested"
    assert line.spool.read_text() == ""
