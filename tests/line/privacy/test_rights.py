"""People's rights: the summary counts what is stored about one person and nobody
else, the export holds all of it, and a phone number finds its pseudonym."""

import dataclasses
import json

import pytest
from sqlalchemy import update

from line.alerts import subscriptions
from line.core import pseudonyms
from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.feedback import coding, ratings
from line.handoff import outbound, tickets
from line.handoff.tickets import Ticket
from line.media import store as media_store
from line.privacy import rights
from line.whatsapp import store as whatsapp_store
from tests.line.feedback.trackers import Tracker

SECRET = "rights-test-secret"
ANA_PHONE = "51987654321"
MARIA = "maria@rest"


@pytest.fixture
def line(database, tmp_path, monkeypatch):
    """Ana (WhatsApp) with two conversations, a closed and an open ticket, two ratings,
    a voice note and her contact; Maria (REST) with a conversation, a ticket, a rating."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            config.settings,
            tracker_db_url=url,
            pseudonym_secret=SECRET,
            privacy_delete_after_days=90,
        ),
    )
    ana = pseudonyms.pseudonym(ANA_PHONE)
    tracker = Tracker(url)
    tracker.session(ana)
    tracker.turn(ana, "los albergues cobran?", "faq", faq="shelter")
    tracker.session(ana)
    tracker.turn(ana, "me llamo Ana Rojas, necesito ayuda", "request_human")
    tracker.turn(ana, "gracias", "thank")
    tracker.session(MARIA)
    tracker.turn(MARIA, "vivo en jr. cusco 123, donde me vacuno", "find_service", channel="rest")
    coding.ingest()
    closed = tickets.open_ticket(ana, "requested", messages=[("user", "necesito ayuda")])
    with session_scope() as session:
        session.execute(
            update(Ticket)
            .where(Ticket.id == closed.ticket_id)
            .values(status="closed", closed_at=utc_now())
        )
    tickets.open_ticket(ana, "media", messages=[("user", "te mando un audio")])
    tickets.open_ticket(MARIA, "unresolved", messages=[("user", "jr. cusco 123")])
    outbound.deliver("rest", ana, "Hola Ana, soy Beto")
    outbound.deliver("rest", MARIA, "Hola María")
    ratings.record(ana, "shelter", useful=True)
    ratings.record(ana, "covid_vaccine", useful=False)
    ratings.record(MARIA, "shelter", useful=False)
    media_store.add(ana, "whatsapp", "audio", "graph-ana-1", "audio/ogg")
    whatsapp_store.record_inbound(ana, ANA_PHONE, utc_now())
    subscriptions.subscribe(ana, "whatsapp", "¿Avisos sobre albergues? Escribe BAJA.", ["shelter"])
    return ana


def test_the_summary_counts_what_is_stored_about_the_person(line):
    assert rights.summary(line) == rights.Summary(
        conversations=2,
        messages=3,
        open_tickets=1,
        closed_tickets=1,
        ratings=2,
        media=1,
        whatsapp_contact=True,
        retention_days=90,
        alerts=True,
    )


def test_after_baja_the_summary_no_longer_says_alerts(line):
    subscriptions.opt_out(line)
    assert not rights.summary(line).alerts


def test_the_summary_of_someone_unknown_is_empty(line):
    found = rights.summary("wa-" + "0" * 32)
    assert found.empty
    assert (found.conversations, found.messages, found.ratings) == (0, 0, 0)
    assert found.retention_days == 90
    assert not rights.summary(MARIA).empty  # a REST person without a contact is not


def test_the_export_holds_the_persons_data_and_nobody_elses(line):
    exported = rights.export(line)
    text = json.dumps(exported, ensure_ascii=False)  # what the console sends, as JSON
    assert "me llamo Ana Rojas" in text
    assert [e["event"] for e in exported["conversation"]].count("user") == 3
    assert [m["text"] for t in exported["tickets"] for m in t["messages"]] == [
        "necesito ayuda",
        "te mando un audio",
    ]
    assert [m["text"] for m in exported["operator_messages"]] == ["Hola Ana, soy Beto"]
    assert sorted(r["topic"] for r in exported["ratings"]) == ["covid_vaccine", "shelter"]
    assert len(exported["feedback"]) == 3
    assert [(m["kind"], m["mime_type"]) for m in exported["media"]] == [("audio", "audio/ogg")]
    assert exported["alert_subscription"]["consent_text"].startswith("¿Avisos sobre albergues?")
    assert rights.export(MARIA)["alert_subscription"] is None
    assert exported["whatsapp_contact"]["phone"] == ANA_PHONE
    assert MARIA not in text and "cusco" not in text
    assert coding.sender_hash(MARIA) not in text


def test_a_phone_number_finds_the_persons_pseudonym(line):
    for written in ("+51 987 654 321", "51987654321", " +51-987-654-321 "):
        assert rights.sender_of(written) == line
    assert rights.sender_of(line) == line
    assert rights.sender_of(" maria@rest ") == MARIA
    with pytest.raises(ValueError):
        rights.sender_of("   ")
