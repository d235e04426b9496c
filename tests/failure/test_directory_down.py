"""The directory database is down (docs/failures.md), with the real Rasa server, the
action server and PostgreSQL: the person is told kindly and handed over, the ticket
waits in the spool while the database refuses connections, and is written as soon as
it answers again.

The servers reach a throwaway database through a TCP proxy that the test closes, so
the machine's PostgreSQL keeps running for everyone else."""

import dataclasses
from types import SimpleNamespace

import pytest
import yaml
from sqlalchemy.engine import make_url

from line.core import db
from line.core import settings as config
from line.handoff import tickets
from tests.support.net import free_port, wait_until
from tests.support.proxy import Proxy
from tests.support.requirements import ROOT
from tests.support.servers import Conversation, bot_texts, prepare, serving

RETRY = 1  # LINE_TICKET_RETRY of the servers
RESPONSES = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]


@pytest.fixture(scope="module")
def line(trained_model, postgres_url, tmp_path_factory):
    work = tmp_path_factory.mktemp("directory_down")
    direct = make_url(postgres_url)
    proxy = Proxy((direct.host, direct.port))
    through_proxy = direct.set(port=proxy.port).render_as_string(hide_password=False)
    rasa_port, actions_port = free_port(), free_port()
    spool = work / "pending_tickets.jsonl"
    db.engine(postgres_url).dispose()
    with db.engine(postgres_url).begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    env, endpoints = prepare(
        work,
        through_proxy,
        actions_port,
        sample_db=postgres_url,
        LINE_TICKET_SPOOL=str(spool),
        LINE_TICKET_RETRY=str(RETRY),
        LINE_DB_TIMEOUT="3",
    )
    proxy.up()
    try:
        with serving(env, work, actions_port, rasa_port, endpoints) as url:
            yield SimpleNamespace(url=url, proxy=proxy, spool=spool, log=work / "actions.log")
    finally:
        proxy.down()


@pytest.fixture
def open_tickets(postgres_url, monkeypatch):
    """The open tickets, read straight from PostgreSQL (not through the proxy)."""
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, database_url=postgres_url)
    )
    return lambda person: [t for t in tickets.queue() if t["sender_id"] == person.sender]


def test_a_search_while_the_database_is_down_ends_with_a_person_and_a_kept_ticket(
    line, open_tickets
):
    ana = Conversation(line.url)
    ana.say("hola")  # works while the database answers
    line.proxy.down()
    try:
        reply = ana.say("busco albergue en Tacna")
        assert bot_texts(reply)[0] == RESPONSES["utter_directory_unavailable"][0]["text"]
        assert ana.utters()[-2:] == ["utter_directory_unavailable", "utter_handoff_kept"]
        assert ana.tracker()["paused"]
        beto = Conversation(line.url)
        beto.say("quiero hablar con una persona")
        assert beto.utters()[-1] == "utter_handoff_kept" and beto.tracker()["paused"]
        # The action server retries while the database is down: the tickets stay kept.
        assert wait_until(
            lambda: "still waiting for the database" in line.log.read_text(), 10 * RETRY
        )
        kept = line.spool.read_text()
        assert ana.sender in kept and beto.sender in kept
        assert not open_tickets(ana) and not open_tickets(beto)
    finally:
        line.proxy.up()

    assert wait_until(lambda: open_tickets(ana) and open_tickets(beto), 10 * RETRY + 10, 0.5)
    [ticket] = open_tickets(ana)
    assert (ticket["reason"], ticket["topic"], ticket["region"]) == (
        "technical",
        "shelter",
        "Tacna",
    )
    thread = tickets.ticket(ticket["id"])["messages"]
    assert ("user", "busco albergue en Tacna") in [(m["author"], m["text"]) for m in thread]
    assert any(m["author"] == "note" and "unavailable" in m["text"] for m in thread)
    assert open_tickets(beto)[0]["reason"] == "requested"
    assert line.spool.read_text() == ""
