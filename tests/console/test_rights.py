"""People's rights in the console: a coordinator finds a person by phone number or
pseudonym, downloads their data and, after confirming, erases it; operators cannot."""

import dataclasses
import json

import pytest

from line.core import pseudonyms
from line.core import settings as config
from line.core.db import utc_now
from line.feedback import erasure, ratings
from line.handoff import tickets
from line.privacy import rights
from line.whatsapp import store as whatsapp_store
from tests.line.feedback.trackers import Tracker

SECRET = "console-rights-secret"
PHONE = "51987654321"
OTHER = "wa-" + "1" * 32
ROUTES = [
    "/coordinacion/personas",
    "/coordinacion/personas/exportar",
    "/coordinacion/personas/borrar",
]


@pytest.fixture
def people(database, tmp_path, monkeypatch):
    """Two WhatsApp people with a conversation, a ticket and a rating each; returns the
    first one's pseudonym."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(config.settings, tracker_db_url=url, pseudonym_secret=SECRET),
    )
    ana = pseudonyms.pseudonym(PHONE)
    conversation = Tracker(url)
    for sender, text in ((ana, "soy Ana, vivo en Comas"), (OTHER, "soy Luis, de Tumbes")):
        conversation.session(sender)
        conversation.turn(sender, text, "request_human")
        tickets.open_ticket(sender, "requested", messages=[("user", text)])
        ratings.record(sender, "shelter", useful=True)
    whatsapp_store.record_inbound(ana, PHONE, utc_now())
    return ana


def find(browser, who):
    return browser.submit("/coordinacion", "/coordinacion/personas", persona=who)


def test_a_coordinator_finds_a_person_by_phone_number_or_pseudonym(people, login):
    coco = login("coco")
    for who in ("+51 987 654 321", people):
        page = find(coco, who)
        assert page.status_code == 200
        assert people in page.text
        assert 'id="mensajes">1<' in page.text and 'id="casos-abiertos">1<' in page.text
        assert 'id="contacto">Guardado<' in page.text
    assert find(coco, "wa-" + "0" * 32).text.count('id="nada"') == 1
    assert find(coco, "   ").status_code == 422


def test_the_export_is_a_download_of_that_persons_data_only(people, login):
    coco = login("coco")
    csrf = coco.csrf("/coordinacion")
    got = coco.post("/coordinacion/personas/exportar", data={"csrf": csrf, "persona": PHONE})
    assert got.status_code == 200
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(got.content)
    assert data["sender_id"] == people
    assert "soy Ana, vivo en Comas" in got.text
    assert [t["messages"][0]["text"] for t in data["tickets"]] == ["soy Ana, vivo en Comas"]
    assert data["whatsapp_contact"]["phone"] == PHONE
    assert OTHER not in got.text and "Luis" not in got.text


def test_erasing_asks_once_more_then_erases_that_person_only(people, login):
    coco = login("coco")
    csrf = coco.csrf("/coordinacion")
    asked = coco.post("/coordinacion/personas/borrar", data={"csrf": csrf, "persona": people})
    assert 'id="confirmar-borrado"' in asked.text
    assert not rights.summary(people).empty  # nothing erased before the confirmation
    done = coco.post(
        "/coordinacion/personas/borrar", data={"csrf": csrf, "persona": people, "confirmar": "si"}
    )
    assert done.url.endswith("/coordinacion") and "Datos de la persona borrados" in done.text
    found = rights.summary(people)
    assert found.empty and not found.whatsapp_contact
    other = rights.summary(OTHER)
    assert (other.messages, other.open_tickets, other.ratings) == (1, 1, 1)
    assert erasure.count_completed() == 1


@pytest.mark.parametrize("route", ROUTES)
def test_operators_are_refused(people, login, route):
    ana = login("ana")
    csrf = ana.csrf("/")
    got = ana.post(route, data={"csrf": csrf, "persona": people, "confirmar": "si"})
    assert got.status_code == 403
    assert people not in got.text
    assert not rights.summary(people).empty  # nothing was erased
