"""The queue's logic: order, atomic claims (SQLite and PostgreSQL), ownership,
closing, coordinator figures and answers to review, reasons, and the out-of-hours notice."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import date, datetime, timedelta

import pytest
import yaml
from sqlalchemy import update

from line.core import db
from line.core import settings as config
from line.handoff import tickets
from tests.console.conftest import Browser, ConsoleServer, utc


def backdate(ticket_id: int, minutes: int) -> None:
    with db.session_scope() as session:
        session.execute(
            update(tickets.Ticket)
            .where(tickets.Ticket.id == ticket_id)
            .values(created_at=datetime.utcnow() - timedelta(minutes=minutes))
        )


def race(ticket_id: int, operators=("ana", "beto")) -> dict:
    """Operators click "Tomar" on the same ticket at the same moment."""
    barrier = threading.Barrier(len(operators))
    results = {}

    def attempt(name):
        barrier.wait()
        try:
            tickets.claim(ticket_id, name)
            results[name] = "won"
        except tickets.TicketConflict as exc:
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
        ticket_id = tickets.open_ticket(f"p{n}", "requested").ticket_id
        results = race(ticket_id)
        assert sorted(results.values()) == ["taken", "won"], results
        [winner] = [name for name, result in results.items() if result == "won"]
        assert tickets.ticket(ticket_id)["claimed_by"] == winner


def test_queue_is_priority_then_waiting_time(database):
    old_request = tickets.open_ticket("old", "requested").ticket_id
    backdate(old_request, 30)
    tickets.open_ticket("new", "unresolved")
    tickets.open_ticket("case", "case")
    tickets.open_ticket("sos", "emergency", danger="violence")
    assert [t["sender_id"] for t in tickets.queue()] == ["sos", "case", "old", "new"]


def test_a_claim_race_has_exactly_one_winner(migrated):
    assert_one_winner(15)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_many_operators_racing_for_one_ticket_on_postgresql(migrated):
    ticket_id = tickets.open_ticket("p", "emergency").ticket_id
    results = race(ticket_id, operators=[f"op{n}" for n in range(6)])
    assert sorted(results.values()) == ["taken"] * 5 + ["won"], results


def test_claiming_again_is_harmless_and_release_puts_it_back(database):
    ticket_id = tickets.open_ticket("p", "requested").ticket_id
    tickets.claim(ticket_id, "ana")
    assert tickets.claim(ticket_id, "ana")["claimed_by"] == "ana"
    with pytest.raises(tickets.TicketConflict) as taken:
        tickets.release(ticket_id, "beto")
    assert taken.value.code == "taken" and taken.value.claimed_by == "ana"
    tickets.release(ticket_id, "ana")
    assert tickets.claim(ticket_id, "beto")["claimed_by"] == "beto"


def test_only_the_claimer_replies_notes_or_closes(database):
    ticket_id = tickets.open_ticket("p", "requested").ticket_id
    with pytest.raises(tickets.TicketConflict) as unclaimed:
        tickets.add_reply(ticket_id, "ana", "hola", uuid.uuid4().hex)
    assert unclaimed.value.code == "not_claimed"
    tickets.claim(ticket_id, "ana")
    for act in (
        lambda: tickets.add_reply(ticket_id, "beto", "hola", uuid.uuid4().hex),
        lambda: tickets.add_note(ticket_id, "beto", "ojo", uuid.uuid4().hex),
        lambda: tickets.close(ticket_id, "beto", "resolved"),
    ):
        with pytest.raises(tickets.TicketConflict) as conflict:
            act()
        assert conflict.value.code == "taken"
    tickets.close(ticket_id, "ana", "referred")
    with pytest.raises(tickets.TicketConflict) as closed:
        tickets.add_reply(ticket_id, "ana", "hola", uuid.uuid4().hex)
    assert closed.value.code == "closed"
    assert tickets.ticket(ticket_id)["outcome"] == "referred"
    assert tickets.queue() == []


def test_a_form_key_stores_one_reply(database):
    ticket_id = tickets.open_ticket("p", "requested").ticket_id
    tickets.claim(ticket_id, "ana")
    key = uuid.uuid4().hex
    first = tickets.add_reply(ticket_id, "ana", "hola", key)
    assert first[1] is True
    assert tickets.add_reply(ticket_id, "ana", "hola", key) == (first[0], False)
    replies = [m for m in tickets.ticket(ticket_id)["messages"] if m["author"] == "operator"]
    assert len(replies) == 1


def test_closing_needs_a_known_outcome(database):
    ticket_id = tickets.open_ticket("p", "requested").ticket_id
    tickets.claim(ticket_id, "ana")
    with pytest.raises(ValueError):
        tickets.close(ticket_id, "ana", "whatever")


def test_a_new_handoff_after_closing_opens_a_new_ticket(database):
    first = tickets.open_ticket("p", "requested").ticket_id
    tickets.claim(first, "ana")
    tickets.close(first, "ana", "resolved")
    assert tickets.open_ticket("p", "requested").ticket_id != first


def test_coordinator_figures(database):
    waiting = tickets.open_ticket("w", "requested").ticket_id
    backdate(waiting, 20)
    claimed = tickets.open_ticket("c", "requested").ticket_id
    backdate(claimed, 10)
    tickets.claim(claimed, "ana")
    done = tickets.open_ticket("d", "case").ticket_id
    backdate(done, 4)
    tickets.claim(done, "beto")
    tickets.close(done, "beto", "resolved")
    figures = tickets.stats(since=datetime.utcnow() - timedelta(hours=1))
    assert (figures["open"], figures["waiting"], figures["claimed"], figures["closed"]) == (
        2,
        1,
        1,
        1,
    )
    assert figures["closed_by_outcome"]["resolved"] == 1
    assert figures["average_wait_seconds"] == pytest.approx(7 * 60, abs=5)
    assert figures["longest_wait_seconds"] == pytest.approx(20 * 60, abs=5)
    assert figures["claimed_by"] == {"ana": 1}


@pytest.mark.parametrize(
    "now, banner",
    [
        (utc(2026, 11, 29, 2, 0), True),  # Saturday 21:00 in Lima: closed until Monday
        (utc(2026, 11, 25, 15, 0), False),  # Wednesday 10:00 in Lima: open
    ],
)
def test_out_of_hours_notice_says_when_people_were_told_we_answer(rasa, accounts_made, now, banner):
    with ConsoleServer(clock=lambda: now) as console:
        browser = Browser(console.url)
        page = browser.login("ana").text
    assert ("fuera del horario de atención" in page) is banner
    if banner:
        assert "el <strong>30/11</strong> desde las <strong>08:00</strong>" in page


def test_a_legal_handoff_shows_its_reason_to_operators(login):
    """A person without papers asking about a status_sensitive topic (reason `legal`)."""
    tickets.open_ticket("sin-papeles", "legal", topic="police_id_checks")
    page = login("ana").get("/").text
    assert "Consulta legal" in page and "Control policial" in page


@pytest.mark.parametrize(
    "now, shown",
    [
        (utc(2027, 3, 4, 15, 0), "quedan 1 día(s)"),
        (utc(2027, 3, 6, 15, 0), "venció hace 1 día(s)"),
        (utc(2026, 12, 5, 15, 0), None),
    ],
)
def test_the_coordinator_page_lists_answers_to_review(
    rasa, accounts_made, tmp_path, monkeypatch, now, shown
):
    faq = tmp_path / "faq"
    faq.mkdir()
    metadata = {"title": "Control policial", "review_by": date(2027, 3, 5)}
    faq.joinpath("police_id_checks.yml").write_text(
        yaml.safe_dump({"nlu": [{"intent": "faq/police_id_checks", "metadata": metadata}]})
    )
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, faq_dir=faq))
    with ConsoleServer(clock=lambda: now) as console:
        browser = Browser(console.url)
        browser.login("coco")
        page = browser.get("/coordinacion").text
    if shown:
        assert 'id="revisar-police_id_checks"' in page and "05/03/2027" in page
        assert shown in page
    else:
        assert "Ninguna respuesta debe revisarse en los próximos 30 días." in page
