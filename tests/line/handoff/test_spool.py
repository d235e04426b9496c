"""Tickets kept in the spool_file while the database is down, written when it answers."""

import dataclasses
import json
import threading

import pytest

from line.core import db
from line.core import settings as config
from line.handoff import spool, tickets
from line.handoff.request import Handoff
from tests.support.net import wait_until


def keep(sender_id, reason, messages=(), **fields):
    return spool.open_or_keep(Handoff(sender_id, reason, messages=tuple(messages), **fields))


class Clock:
    """The retry thread's clock: each of its pauses lasts until the test lets time pass."""

    def __init__(self):
        self.ticks = threading.Semaphore(0)
        self.paused = threading.Event()

    def pause(self, seconds):
        self.paused.set()
        self.ticks.acquire()

    def advance(self):
        self.paused.clear()
        self.ticks.release()


@pytest.fixture
def spool_file(migrated, tmp_path, monkeypatch):
    """The spool in a temporary folder, retried often, on SQLite and PostgreSQL."""
    path = tmp_path / "spool" / "pending_tickets.jsonl"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, ticket_spool_file=path)
    )
    return path


@pytest.fixture
def database_down(monkeypatch):
    """tickets.open_ticket fails as it does when the database refuses connections."""
    real = tickets.open_ticket
    state = {"down": True}

    def open_ticket(*args, **kwargs):
        if state["down"]:
            raise db.DatabaseUnavailable("database unavailable: connection refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(tickets, "open_ticket", open_ticket)
    return state


def test_a_reachable_database_gets_the_ticket_at_once(spool_file):
    receipt = keep("ana", "requested", messages=[("user", "persona")])
    assert receipt.new and receipt.position == 1
    assert not spool_file.exists() or not spool_file.read_text()


def test_while_down_tickets_are_kept_in_order_then_written(spool_file, database_down, monkeypatch):
    monkeypatch.setattr(spool, "keep_retrying", lambda: None)
    assert (
        keep("ana", "technical", channel="whatsapp", messages=[("user", "busco albergue en Tacna")])
        is None
    )
    assert (
        keep("beto", "emergency", danger="violence", messages=[("user", "me quiere pegar")]) is None
    )
    assert [json.loads(line)["sender_id"] for line in spool_file.read_text().splitlines()] == [
        "ana",
        "beto",
    ]
    assert spool.retry() == 2  # still down: nothing lost
    database_down["down"] = False
    assert spool.retry() == 0
    assert spool_file.read_text() == ""
    queued = {t["sender_id"]: t for t in tickets.queue()}
    assert queued["ana"]["reason"] == "technical" and queued["ana"]["channel"] == "whatsapp"
    assert queued["ana"]["summary"] == "busco albergue en Tacna"
    assert queued["beto"]["danger"] == "violence"
    assert [t["sender_id"] for t in tickets.queue()] == ["beto", "ana"]  # emergencies first


def test_a_second_kept_handoff_adds_to_the_first_ticket(spool_file, database_down, monkeypatch):
    monkeypatch.setattr(spool, "keep_retrying", lambda: None)
    keep("ana", "technical", messages=[("user", "hola?")])
    keep("ana", "requested", messages=[("user", "sigo aqui")])
    database_down["down"] = False
    spool.retry()
    [ticket] = tickets.queue()
    texts = [m["text"] for m in tickets.ticket(ticket["id"])["messages"]]
    assert texts == ["hola?", "sigo aqui"]


def test_the_background_retry_writes_them_when_the_database_is_back(
    spool_file, database_down, monkeypatch
):
    clock = Clock()
    monkeypatch.setattr(spool, "pause", clock.pause)
    keep("ana", "technical", messages=[("user", "hola?")])
    assert clock.paused.wait(5) and spool.retrying()
    clock.advance()  # a retry while it is still down
    assert clock.paused.wait(5)
    assert tickets.queue() == [] and spool_file.read_text()
    database_down["down"] = False
    clock.advance()  # the next retry writes it
    assert wait_until(lambda: not spool.retrying(), 5)  # and the thread ends
    assert [t["sender_id"] for t in tickets.queue()] == ["ana"] and spool_file.read_text() == ""


def test_an_unwritable_spool_is_an_error_for_the_caller(spool_file, database_down, monkeypatch):
    blocker = spool_file.parent.parent / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, ticket_spool_file=blocker / "pending_tickets.jsonl"),
    )
    with pytest.raises(OSError):
        keep("ana", "technical")
