"""The privacy sweep on a migrated database (SQLite, and PostgreSQL where the fixture says
so) and a tracker store shaped like Rasa's: anonymization once a conversation is over,
deletion once it is past retention, and one sweep at a time."""

import dataclasses
import json
import threading
from datetime import timedelta, timezone

import pytest
from sqlalchemy import create_engine, select, update

from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.feedback.coding import Feedback
from line.feedback.ratings import Rating
from line.handoff import tickets
from line.handoff.outbound import OutboundMessage
from line.handoff.tickets import Ticket, TicketMessage
from line.privacy import sweep
from line.privacy.sweep import Anonymized, SweepLease
from line.whatsapp import store
from line.whatsapp.store import WhatsAppContact
from tests.line.feedback.trackers import EVENTS, metadata

ANA, LUIS, MARIA = "51987654321", "wa-luis", "maria@rest"
SAID = "Hola, me llamo Yuleisy Pérez, mi DNI es 45678912 y mi celular es 987654321"
IDENTIFIERS = ("Yuleisy", "Pérez", "45678912", "987654321")
GREETING = "¡Hola! Soy la línea de información para migrantes."


@pytest.fixture
def tracker_url(migrated, tmp_path, monkeypatch):
    """The tracker store: its own SQLite file, or the same PostgreSQL database."""
    url = migrated if migrated.startswith("postgresql") else f"sqlite:///{tmp_path / 'tr.db'}"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, tracker_db_url=url)
    )
    metadata.create_all(create_engine(url, future=True))
    return url


def _epoch(moment):
    return moment.replace(tzinfo=timezone.utc).timestamp()


def conversation(url, sender, at, said=SAID):
    """A session as Rasa stores it: a greeting, a message full of identifiers, the slots
    it set, a response echoing the name, and the end of the turn, from `at` on."""
    t = _epoch(at)
    parse = {
        "text": said,
        "intent": {"name": "inform", "confidence": 0.9},
        "entities": [
            {"entity": "region", "value": "Lima"},
            {"entity": "phone", "value": "987654321"},
        ],
    }
    events = [
        ("action", {"name": "action_session_start"}),
        ("session_started", {}),
        ("bot", {"text": GREETING, "metadata": {"utter_action": "utter_greet"}}),
        ("action", {"name": "action_listen"}),
        ("user", {"text": said, "parse_data": parse, "input_channel": "rest"}),
        ("slot", {"name": "region", "value": "Lima"}),
        ("slot", {"name": "phone", "value": "987654321"}),
        ("bot", {"text": "Gracias, Yuleisy.", "metadata": {"utter_action": "utter_thank"}}),
        ("action", {"name": "action_listen"}),
    ]
    with create_engine(url, future=True).begin() as connection:
        for i, (kind, data) in enumerate(events):
            connection.execute(
                EVENTS.insert().values(
                    sender_id=sender,
                    type_name=kind,
                    timestamp=t + i,
                    action_name=data.get("name"),
                    data=json.dumps({"event": kind, "timestamp": t + i, **data}),
                )
            )


def events(url, sender):
    with create_engine(url, future=True).connect() as connection:
        return [
            json.loads(data)
            for (data,) in connection.execute(
                select(EVENTS.c.data).where(EVENTS.c.sender_id == sender).order_by(EVENTS.c.id)
            )
        ]


def ticket_texts(sender):
    with session_scope() as session:
        rows = session.execute(
            select(TicketMessage.author, TicketMessage.text)
            .join(Ticket, Ticket.id == TicketMessage.ticket_id)
            .where(Ticket.sender_id == sender)
            .order_by(TicketMessage.id)
        ).all()
        summaries = session.execute(
            select(Ticket.summary).where(Ticket.sender_id == sender)
        ).scalars()
        return [tuple(row) for row in rows], list(summaries)


def handed_over(sender, *, close_at=None):
    receipt = tickets.open_ticket(
        sender, "requested", messages=[("user", SAID), ("bot", "Te paso con una persona.")]
    )
    if close_at is not None:
        tickets.claim(receipt.ticket_id, "ana")
        tickets.close(receipt.ticket_id, "ana", "resolved")
        with session_scope() as session:
            session.execute(
                update(Ticket).where(Ticket.id == receipt.ticket_id).values(closed_at=close_at)
            )
    return receipt.ticket_id


def operator_wrote(sender, text, at=None):
    """An operator's message as the console records it when it is sent."""
    with session_scope() as session:
        session.add(
            OutboundMessage(
                sender_id=sender, channel="rest", text=text, ok=1, created_at=at or utc_now()
            )
        )


def sent_texts(sender):
    with session_scope() as session:
        return list(
            session.execute(
                select(OutboundMessage.text).where(OutboundMessage.sender_id == sender)
            ).scalars()
        )


def verbatim(text):
    return [i for i in IDENTIFIERS if i in text]


def test_an_idle_conversation_loses_every_identifier_and_keeps_the_bots_texts(tracker_url):
    now = utc_now()
    conversation(tracker_url, ANA, now - timedelta(minutes=90))
    before = events(tracker_url, ANA)
    assert sweep.run(now).anonymized == 1
    after = events(tracker_url, ANA)
    assert verbatim(json.dumps(after, ensure_ascii=False)) == []
    # Same events, in the same order, each with its own fields.
    assert [(e["event"], sorted(e)) for e in after] == [(e["event"], sorted(e)) for e in before]
    user = next(e for e in after if e["event"] == "user")
    assert "<DOCUMENTO>" in user["text"] and user["parse_data"]["text"] == user["text"]
    assert [e["value"] for e in user["parse_data"]["entities"]][0] == "Lima"  # a place stays
    bots = [e["text"] for e in after if e["event"] == "bot"]
    assert bots[0] == GREETING and bots[1].startswith("Gracias, <")
    assert {e["name"]: e["value"] for e in after if e["event"] == "slot"}["region"] == "Lima"


def test_a_recent_conversation_waits(tracker_url):
    now = utc_now()
    conversation(tracker_url, ANA, now - timedelta(minutes=20))
    assert sweep.run(now).anonymized == 0
    assert verbatim(json.dumps(events(tracker_url, ANA), ensure_ascii=False))


def test_a_closed_ticket_is_anonymized_at_once_an_open_one_is_left_alone(tracker_url):
    now = utc_now()
    conversation(tracker_url, ANA, now - timedelta(minutes=5))
    conversation(tracker_url, MARIA, now - timedelta(days=2))
    handed_over(ANA, close_at=now - timedelta(minutes=1))
    handed_over(MARIA)  # waiting for an operator, for two days
    operator_wrote(ANA, "Hola Yuleisy, te llamo al 987654321")
    operator_wrote(MARIA, "Hola Yuleisy, te llamo al 987654321")
    maria_before = events(tracker_url, MARIA)

    assert sweep.run(now).anonymized == 1
    messages, summaries = ticket_texts(ANA)
    assert verbatim(" ".join(text for _, text in messages) + " ".join(summaries)) == []
    # What the operator sent, as the console keeps it (outbound_messages), too.
    assert sent_texts(ANA) == ["Hola <NOMBRE>, te llamo al <TELEFONO>"]
    assert sent_texts(MARIA) == ["Hola Yuleisy, te llamo al 987654321"]
    assert ("bot", "Te paso con una persona.") in messages
    assert verbatim(json.dumps(events(tracker_url, ANA), ensure_ascii=False)) == []

    assert events(tracker_url, MARIA) == maria_before
    messages, summaries = ticket_texts(MARIA)
    assert ("user", SAID) in messages and summaries == [SAID]


def test_work_is_never_repeated_and_new_messages_are_done_later(tracker_url):
    now = utc_now()
    conversation(tracker_url, ANA, now - timedelta(hours=3))
    assert sweep.run(now).anonymized == 1
    assert sweep.run(now).anonymized == 0
    conversation(tracker_url, ANA, now - timedelta(minutes=10), said="mi correo es ana@mail.com")
    assert sweep.run(now).anonymized == 0  # not idle yet
    assert sweep.run(now + timedelta(hours=1)).anonymized == 1
    assert "ana@mail.com" not in json.dumps(events(tracker_url, ANA))


def _rating(sender, at):
    with session_scope() as session:
        session.add(Rating(topic="shelter", sender_hash=sender[:32], useful=True, created_at=at))


def _coded(sender, on, text):
    with session_scope() as session:
        session.add(
            Feedback(
                sender_hash=sender[:32],
                timestamp=_epoch(on),
                event_id=1,
                date=on.date(),
                channel="whatsapp",
                feedback_type="question",
                status="unanswered",
                text=text,
            )
        )


def test_retention_deletes_what_is_due_and_nothing_else(tracker_url):
    now = utc_now()
    old, recent = now - timedelta(days=200), now - timedelta(days=10)
    conversation(tracker_url, ANA, old)  # idle 200 days: all of it goes
    conversation(tracker_url, LUIS, old)  # an old session, then a recent one: the old goes
    conversation(tracker_url, LUIS, recent)
    conversation(tracker_url, MARIA, old)  # old, but her ticket is still open
    handed_over(MARIA)
    store.record_inbound(ANA, "+51987654321", old)
    store.record_inbound(LUIS, "+51911222333", recent)
    store.record_inbound(MARIA, "+51922333444", old)
    _rating(ANA, old)
    _rating(LUIS, recent)
    _coded(ANA, old, "hay albergue en <NOMBRE> para mi")
    _coded(LUIS, recent, "hay comedor en Lima")
    gone = handed_over(ANA, close_at=old)
    kept = handed_over(LUIS, close_at=recent)
    operator_wrote(ANA, "hola", old)
    operator_wrote(LUIS, "hola", recent)
    operator_wrote(MARIA, "hola", old)  # her ticket is open

    result = sweep.run(now)

    assert result.deleted == {
        "conversations": 1,
        "whatsapp_contacts": 1,
        "ratings": 1,
        "feedback": 1,
        "operator_messages": 1,
        "tickets": 1,
        "media": 0,
    }
    assert (sent_texts(ANA), sent_texts(LUIS), sent_texts(MARIA)) == ([], ["hola"], ["hola"])
    assert events(tracker_url, ANA) == []
    luis = events(tracker_url, LUIS)
    assert len(luis) == 9 and luis[0]["timestamp"] >= _epoch(recent)
    assert len(events(tracker_url, MARIA)) == 9
    with session_scope() as session:
        assert set(session.execute(select(WhatsAppContact.pseudonym)).scalars()) == {LUIS, MARIA}
        assert list(session.execute(select(Rating.sender_hash)).scalars()) == [LUIS[:32]]
        coded = session.execute(select(Feedback.sender_hash, Feedback.text)).all()
        assert sorted(coded) == sorted([(ANA[:32], None), (LUIS[:32], "hay comedor en Lima")])
        assert session.get(Ticket, gone).summary == "" and session.get(Ticket, gone).messages == []
        assert len(session.get(Ticket, kept).messages) == 2
        assert session.get(Anonymized, ANA) is None
    again = sweep.run(now)
    assert again.ran and set(again.deleted.values()) == {0}


def test_a_held_lease_stops_a_second_sweep_until_it_lapses(tracker_url):
    now = utc_now()
    conversation(tracker_url, ANA, now - timedelta(hours=3))
    with session_scope() as session:  # another instance is sweeping
        session.execute(
            update(SweepLease).values(holder="other", expires_at=utc_now() + timedelta(minutes=5))
        )
    assert sweep.run(now).ran is False
    with session_scope() as session:
        session.execute(update(SweepLease).values(expires_at=utc_now() - timedelta(seconds=1)))
    assert sweep.run(now).anonymized == 1


def test_sweeps_at_the_same_time_do_the_work_once_without_errors(tracker_url):
    now = utc_now()
    senders = [f"p{i}" for i in range(12)]
    for sender in senders:
        conversation(tracker_url, sender, now - timedelta(hours=2))
    start, results, errors = threading.Barrier(4), [], []

    def one():
        start.wait()
        try:
            results.append(sweep.run(now))
        except Exception as exc:  # collected: the assertion says which
            errors.append(exc)

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(r.anonymized for r in results) == len(senders)
    for sender in senders:
        assert verbatim(json.dumps(events(tracker_url, sender), ensure_ascii=False)) == []
    with session_scope() as session:
        assert session.get(SweepLease, "sweep").holder is None


def test_before_rasa_created_its_table_the_rest_is_still_swept(migrated):
    """The tracker store is the line's database here, where Rasa has written nothing."""
    store.record_inbound(ANA, "+51987654321", utc_now() - timedelta(days=200))
    result = sweep.run()
    assert result.anonymized == 0 and result.deleted["whatsapp_contacts"] == 1
