"""Tickets kept in the spool while the database is down, written when it answers."""
import dataclasses
import json
import time

import pytest

from line import db, handoff, pending_tickets
from line import settings as config


@pytest.fixture
def spool(migrated, tmp_path, monkeypatch):
    """The spool in a temporary folder, retried often, on SQLite and PostgreSQL."""
    path = tmp_path / "spool" / "pending_tickets.jsonl"
    monkeypatch.setattr(config, "settings", dataclasses.replace(
        config.settings, ticket_spool_file=path, ticket_retry_seconds=0.05))
    return path


@pytest.fixture
def database_down(monkeypatch):
    """handoff.open_ticket fails as it does when the database refuses connections."""
    real = handoff.open_ticket
    state = {"down": True}

    def open_ticket(*args, **kwargs):
        if state["down"]:
            raise db.DirectoryUnavailable("database unavailable: connection refused")
        return real(*args, **kwargs)

    monkeypatch.setattr(handoff, "open_ticket", open_ticket)
    return state


def test_a_reachable_database_gets_the_ticket_at_once(spool):
    receipt = pending_tickets.open_or_keep("ana", "requested", messages=[("user", "persona")])
    assert receipt.new and receipt.position == 1
    assert not spool.exists() or not spool.read_text()


def test_while_down_tickets_are_kept_in_order_then_written(spool, database_down, monkeypatch):
    monkeypatch.setattr(pending_tickets, "_keep_retrying", lambda: None)
    assert pending_tickets.open_or_keep("ana", "technical", channel="whatsapp",
                                        messages=[("user", "busco albergue en Tacna")]) is None
    assert pending_tickets.open_or_keep("beto", "emergency", danger="violence",
                                        messages=[("user", "me quiere pegar")]) is None
    assert [json.loads(line)["sender_id"] for line in spool.read_text().splitlines()] == [
        "ana", "beto"]
    assert pending_tickets.retry() == 2                      # still down: nothing lost
    database_down["down"] = False
    assert pending_tickets.retry() == 0
    assert spool.read_text() == ""
    tickets = {t["sender_id"]: t for t in handoff.queue()}
    assert tickets["ana"]["reason"] == "technical" and tickets["ana"]["channel"] == "whatsapp"
    assert tickets["ana"]["summary"] == "busco albergue en Tacna"
    assert tickets["beto"]["danger"] == "violence"
    assert [t["sender_id"] for t in handoff.queue()] == ["beto", "ana"]   # emergencies first


def test_a_second_kept_handoff_adds_to_the_first_ticket(spool, database_down, monkeypatch):
    monkeypatch.setattr(pending_tickets, "_keep_retrying", lambda: None)
    pending_tickets.open_or_keep("ana", "technical", messages=[("user", "hola?")])
    pending_tickets.open_or_keep("ana", "requested", messages=[("user", "sigo aqui")])
    database_down["down"] = False
    pending_tickets.retry()
    [ticket] = handoff.queue()
    texts = [m["text"] for m in handoff.ticket(ticket["id"])["messages"]]
    assert texts == ["hola?", "sigo aqui"]


def test_the_background_retry_writes_them_when_the_database_is_back(spool, database_down):
    pending_tickets.open_or_keep("ana", "technical", messages=[("user", "hola?")])
    time.sleep(0.2)
    assert handoff.queue() == [] and spool.read_text()
    database_down["down"] = False
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (spool.read_text() or not handoff.queue()):
        time.sleep(0.05)
    assert [t["sender_id"] for t in handoff.queue()] == ["ana"] and spool.read_text() == ""
    deadline = time.monotonic() + 5                        # and the thread ends
    while time.monotonic() < deadline and pending_tickets._retrier is not None:
        time.sleep(0.05)
    assert pending_tickets._retrier is None


def test_an_unwritable_spool_is_an_error_for_the_caller(spool, database_down, monkeypatch):
    blocker = spool.parent.parent / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setattr(config, "settings", dataclasses.replace(
        config.settings, ticket_spool_file=blocker / "pending_tickets.jsonl"))
    with pytest.raises(OSError):
        pending_tickets.open_or_keep("ana", "technical")
