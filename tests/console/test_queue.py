"""The queue's logic: order, atomic claims (SQLite and PostgreSQL), ownership,
closing, coordinator figures, and the out-of-hours notice."""
from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, text, update
from sqlalchemy.exc import OperationalError

from line import db, handoff
from line import settings as config
from tests.console.conftest import Browser, ConsoleServer, utc

POSTGRES_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture
def postgres(monkeypatch):
    """A database of its own on the machine's PostgreSQL, dropped afterwards."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", future=True)
    try:
        connection = admin.connect()
    except OperationalError as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {exc.orig}")
    name = f"console_test_{uuid.uuid4().hex[:12]}"
    connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    try:
        monkeypatch.setattr(config, "settings",
                            dataclasses.replace(config.settings, database_url=url))
        db.migrate(url)
        yield url
    finally:
        db.engine(url).dispose()
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.close()
        admin.dispose()


def backdate(ticket_id: int, minutes: int) -> None:
    with db.session_scope() as session:
        session.execute(update(handoff.Ticket).where(handoff.Ticket.id == ticket_id).values(
            created_at=datetime.utcnow() - timedelta(minutes=minutes)))


def race(ticket_id: int, operators=("ana", "beto")) -> dict:
    """Operators click "Tomar" on the same ticket at the same moment."""
    barrier = threading.Barrier(len(operators))
    results = {}

    def attempt(name):
        barrier.wait()
        try:
            handoff.claim(ticket_id, name)
            results[name] = "won"
        except handoff.TicketConflict as exc:
            results[name] = exc.code
        except Exception as exc:  # kept so the assertion names it
            results[name] = repr(exc)

    threads = [threading.Thread(target=attempt, args=(name,)) for name in operators]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def assert_one_winner(rounds: int) -> None:
    for n in range(rounds):
        ticket_id = handoff.open_ticket(f"p{n}", "requested").ticket_id
        results = race(ticket_id)
        assert sorted(results.values()) == ["taken", "won"], results
        [winner] = [name for name, result in results.items() if result == "won"]
        assert handoff.ticket(ticket_id)["claimed_by"] == winner


def test_queue_is_priority_then_waiting_time(database):
    old_request = handoff.open_ticket("old", "requested").ticket_id
    backdate(old_request, 30)
    handoff.open_ticket("new", "unresolved")
    handoff.open_ticket("case", "case")
    handoff.open_ticket("sos", "emergency", danger="violence")
    assert [t["sender_id"] for t in handoff.queue()] == ["sos", "case", "old", "new"]


def test_claim_race_on_sqlite_has_exactly_one_winner(database):
    assert_one_winner(15)


def test_claim_race_on_postgresql_has_exactly_one_winner(postgres):
    assert_one_winner(15)


def test_many_operators_racing_for_one_ticket_on_postgresql(postgres):
    ticket_id = handoff.open_ticket("p", "emergency").ticket_id
    results = race(ticket_id, operators=[f"op{n}" for n in range(6)])
    assert sorted(results.values()) == ["taken"] * 5 + ["won"], results


def test_claiming_again_is_harmless_and_release_puts_it_back(database):
    ticket_id = handoff.open_ticket("p", "requested").ticket_id
    handoff.claim(ticket_id, "ana")
    assert handoff.claim(ticket_id, "ana")["claimed_by"] == "ana"
    with pytest.raises(handoff.TicketConflict) as taken:
        handoff.release(ticket_id, "beto")
    assert taken.value.code == "taken" and taken.value.claimed_by == "ana"
    handoff.release(ticket_id, "ana")
    assert handoff.claim(ticket_id, "beto")["claimed_by"] == "beto"


def test_only_the_claimer_replies_notes_or_closes(database):
    ticket_id = handoff.open_ticket("p", "requested").ticket_id
    with pytest.raises(handoff.TicketConflict) as unclaimed:
        handoff.add_reply(ticket_id, "ana", "hola", uuid.uuid4().hex)
    assert unclaimed.value.code == "not_claimed"
    handoff.claim(ticket_id, "ana")
    for act in (lambda: handoff.add_reply(ticket_id, "beto", "hola", uuid.uuid4().hex),
                lambda: handoff.add_note(ticket_id, "beto", "ojo", uuid.uuid4().hex),
                lambda: handoff.close(ticket_id, "beto", "resolved")):
        with pytest.raises(handoff.TicketConflict) as conflict:
            act()
        assert conflict.value.code == "taken"
    handoff.close(ticket_id, "ana", "referred")
    with pytest.raises(handoff.TicketConflict) as closed:
        handoff.add_reply(ticket_id, "ana", "hola", uuid.uuid4().hex)
    assert closed.value.code == "closed"
    assert handoff.ticket(ticket_id)["outcome"] == "referred"
    assert handoff.queue() == []


def test_a_form_key_stores_one_reply(database):
    ticket_id = handoff.open_ticket("p", "requested").ticket_id
    handoff.claim(ticket_id, "ana")
    key = uuid.uuid4().hex
    first = handoff.add_reply(ticket_id, "ana", "hola", key)
    assert first[1] is True
    assert handoff.add_reply(ticket_id, "ana", "hola", key) == (first[0], False)
    replies = [m for m in handoff.ticket(ticket_id)["messages"] if m["author"] == "operator"]
    assert len(replies) == 1


def test_closing_needs_a_known_outcome(database):
    ticket_id = handoff.open_ticket("p", "requested").ticket_id
    handoff.claim(ticket_id, "ana")
    with pytest.raises(ValueError):
        handoff.close(ticket_id, "ana", "whatever")


def test_a_new_handoff_after_closing_opens_a_new_ticket(database):
    first = handoff.open_ticket("p", "requested").ticket_id
    handoff.claim(first, "ana")
    handoff.close(first, "ana", "resolved")
    assert handoff.open_ticket("p", "requested").ticket_id != first


def test_coordinator_figures(database):
    waiting = handoff.open_ticket("w", "requested").ticket_id
    backdate(waiting, 20)
    claimed = handoff.open_ticket("c", "requested").ticket_id
    backdate(claimed, 10)
    handoff.claim(claimed, "ana")
    done = handoff.open_ticket("d", "case").ticket_id
    backdate(done, 4)
    handoff.claim(done, "beto")
    handoff.close(done, "beto", "resolved")
    figures = handoff.stats(since=datetime.utcnow() - timedelta(hours=1))
    assert (figures["open"], figures["waiting"], figures["claimed"], figures["closed"]) == (
        2, 1, 1, 1)
    assert figures["closed_by_outcome"]["resolved"] == 1
    assert figures["average_wait_seconds"] == pytest.approx(7 * 60, abs=5)
    assert figures["longest_wait_seconds"] == pytest.approx(20 * 60, abs=5)
    assert figures["claimed_by"] == {"ana": 1}


@pytest.mark.parametrize("now, banner", [
    (utc(2026, 11, 29, 2, 0), True),      # Saturday 21:00 in Lima: closed until Monday
    (utc(2026, 11, 25, 15, 0), False),    # Wednesday 10:00 in Lima: open
])
def test_out_of_hours_notice_says_when_people_were_told_we_answer(rasa, accounts_made,
                                                                   now, banner):
    with ConsoleServer(clock=lambda: now) as console:
        browser = Browser(console.url)
        page = browser.login("ana").text
    assert ("fuera del horario de atención" in page) is banner
    if banner:
        assert "el <strong>30/11</strong> desde las <strong>08:00</strong>" in page
