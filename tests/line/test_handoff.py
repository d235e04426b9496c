"""The handoff queue: one open ticket per person, emergencies first, threads kept."""
import threading

import pytest

from line import db, handoff


@pytest.fixture
def database(migrated):
    """Tickets run on SQLite and on PostgreSQL (see tests/line/conftest.py)."""
    return migrated


def test_a_ticket_keeps_reason_priority_and_context(database):
    receipt = handoff.open_ticket("p1", "requested", topic="shelter", region="Tacna",
                                  messages=[("user", "hola"), ("bot", "¿en qué te ayudo?"),
                                            ("user", "quiero hablar con alguien")])
    assert receipt.new and receipt.position == 1
    [ticket] = handoff.queue()
    assert ticket["reason"] == "requested" and ticket["priority"] == handoff.PRIORITY["requested"]
    assert ticket["topic"] == "shelter" and ticket["region"] == "Tacna"
    assert ticket["summary"] == "quiero hablar con alguien"


def test_a_second_handoff_appends_to_the_open_ticket(database):
    first = handoff.open_ticket("p1", "unresolved", messages=[("user", "bla")])
    again = handoff.open_ticket("p1", "requested", messages=[("user", "persona")])
    assert again.ticket_id == first.ticket_id and not again.new
    assert len(handoff.queue()) == 1


def test_an_emergency_raises_the_priority_of_an_open_ticket(database):
    handoff.open_ticket("p1", "requested")
    receipt = handoff.open_ticket("p1", "emergency", danger="violence")
    [ticket] = handoff.queue()
    assert ticket["reason"] == "emergency" and ticket["danger"] == "violence"
    assert receipt.priority == handoff.PRIORITY["emergency"]


def test_queue_order_is_priority_then_waiting_time(database):
    handoff.open_ticket("early", "requested")
    handoff.open_ticket("case", "case")
    handoff.open_ticket("late", "unresolved")
    emergency = handoff.open_ticket("danger", "emergency")
    assert emergency.position == 1
    assert [t["sender_id"] for t in handoff.queue()] == ["danger", "case", "early", "late"]
    assert handoff.open_ticket("late", "unresolved").position == 4


def test_messages_while_waiting_reach_the_thread_in_order(database):
    ticket_id = handoff.open_ticket("p1", "requested", messages=[("user", "uno")]).ticket_id
    assert handoff.add_messages("p1", [("user", "dos"), ("user", "tres")]) == ticket_id
    with db.session_scope() as session:
        texts = [m.text for m in session.get(handoff.Ticket, ticket_id).messages]
    assert texts == ["uno", "dos", "tres"]
    assert handoff.add_messages("nobody", [("user", "hola")]) is None


def test_an_unknown_reason_is_refused(database):
    with pytest.raises(ValueError):
        handoff.open_ticket("p1", "because")


def test_concurrent_handoffs_of_different_people_each_get_a_ticket(database):
    errors = []

    def worker(n):
        try:
            handoff.open_ticket(f"p{n}", "requested")
        except Exception as exc:  # collected so the assertion names it
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sorted(t["sender_id"] for t in handoff.queue()) == sorted(f"p{n}" for n in range(8))
