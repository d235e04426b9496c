"""The handoff queue: one open ticket per person, emergencies first, threads kept."""

import threading

import pytest

from line.core import db
from line.handoff import tickets


@pytest.fixture
def database(migrated):
    """Tickets run on SQLite and on PostgreSQL (`db_url`, tests/support/requirements.py)."""
    return migrated


def test_a_ticket_keeps_reason_priority_and_context(database):
    receipt = tickets.open_ticket(
        "p1",
        "requested",
        topic="shelter",
        region="Tacna",
        messages=[
            ("user", "hola"),
            ("bot", "¿en qué te ayudo?"),
            ("user", "quiero hablar con alguien"),
        ],
    )
    assert receipt.new and receipt.position == 1
    [ticket] = tickets.queue()
    assert ticket["reason"] == "requested" and ticket["priority"] == tickets.PRIORITY["requested"]
    assert ticket["topic"] == "shelter" and ticket["region"] == "Tacna"
    assert ticket["summary"] == "quiero hablar con alguien"


def test_a_second_handoff_appends_to_the_open_ticket(database):
    first = tickets.open_ticket("p1", "unresolved", messages=[("user", "bla")])
    again = tickets.open_ticket("p1", "requested", messages=[("user", "persona")])
    assert again.ticket_id == first.ticket_id and not again.new
    assert len(tickets.queue()) == 1


def test_an_emergency_raises_the_priority_of_an_open_ticket(database):
    tickets.open_ticket("p1", "requested")
    receipt = tickets.open_ticket("p1", "emergency", danger="violence")
    [ticket] = tickets.queue()
    assert ticket["reason"] == "emergency" and ticket["danger"] == "violence"
    assert receipt.priority == tickets.PRIORITY["emergency"]


def test_queue_order_is_priority_then_waiting_time(database):
    tickets.open_ticket("early", "requested")
    tickets.open_ticket("case", "case")
    tickets.open_ticket("late", "unresolved")
    emergency = tickets.open_ticket("danger", "emergency")
    assert emergency.position == 1
    assert [t["sender_id"] for t in tickets.queue()] == ["danger", "case", "early", "late"]
    assert tickets.open_ticket("late", "unresolved").position == 4


def test_messages_while_waiting_reach_the_thread_in_order(database):
    ticket_id = tickets.open_ticket("p1", "requested", messages=[("user", "uno")]).ticket_id
    assert tickets.add_messages("p1", [("user", "dos"), ("user", "tres")]) == ticket_id
    with db.session_scope() as session:
        texts = [m.text for m in session.get(tickets.Ticket, ticket_id).messages]
    assert texts == ["uno", "dos", "tres"]
    assert tickets.add_messages("nobody", [("user", "hola")]) is None


def test_an_unknown_reason_is_refused(database):
    with pytest.raises(ValueError):
        tickets.open_ticket("p1", "because")


def test_concurrent_handoffs_of_different_people_each_get_a_ticket(database):
    errors = []

    def worker(n):
        try:
            tickets.open_ticket(f"p{n}", "requested")
        except Exception as exc:  # collected so the assertion names it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(t["sender_id"] for t in tickets.queue()) == sorted(f"p{n}" for n in range(8))
