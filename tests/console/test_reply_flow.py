"""End to end over the REST channel against a fake Rasa HTTP API: a person asks
for a human, an operator answers and closes, the bot takes over again. Then
everything that goes wrong on the way: closed tickets, double clicks, a refused
delivery, an unreachable Rasa."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from pathlib import Path

import pytest
import yaml

from actions.handoff import ActionHandoff
from line.core import settings as config
from line.handoff import outbound, tickets
from line.handoff.outbound import Delivery, RestOutbox
from tests.actions.conftest import make_tracker, run
from tests.console.conftest import KEY, waiting_ticket
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def domain():
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def text_of(domain, response):
    return domain["responses"][response][0]["text"]


@pytest.fixture
def rasa_down(monkeypatch):
    """Point the console at a port nobody listens on."""

    def switch():
        monkeypatch.setattr(
            config,
            "settings",
            dataclasses.replace(config.settings, rasa_url=f"http://127.0.0.1:{free_port()}"),
        )

    return switch


def claimed(login, rasa, sender="persona1", **kwargs):
    ticket_id = waiting_ticket(sender, rasa=rasa, **kwargs)
    ana = login("ana")
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    return ana, ticket_id


def test_person_asks_for_a_human_operator_answers_and_gives_back_to_the_bot(login, rasa, domain):
    # The person asks for a human: action_handoff stores a ticket and pauses Rasa.
    tracker = make_tracker("quiero hablar con una persona", "request_human", sender="maria")
    messages, events = run(ActionHandoff(), tracker, domain)
    assert [e["event"] for e in events] == ["pause"]
    rasa.add(
        "maria", {"event": "user", "text": "quiero hablar con una persona", "timestamp": 1000.0}
    )
    for n, message in enumerate(messages):
        rasa.add(
            "maria",
            {"event": "bot", "text": text_of(domain, message["response"]), "timestamp": 1001.0 + n},
        )
    rasa.add("maria", {"event": "pause", "timestamp": 1002.0})
    rasa.add(
        "maria", {"event": "user", "text": "es por mi hija, no tiene vacunas", "timestamp": 1003.0}
    )
    [ticket] = tickets.queue()

    ana = login("ana")
    assert f'id="tomar-{ticket["id"]}"' in ana.get("/").text
    page = ana.submit("/", f"/casos/{ticket['id']}/tomar").text
    assert "quiero hablar con una persona" in page
    assert "es por mi hija, no tiene vacunas" in page  # written while paused
    assert "El asistente pasó la conversación a una persona" in page

    reply = "Hola, soy Ana de la Cruz Roja 👋\nLas vacunas para niños son *gratis*."
    sent = ana.submit(f"/casos/{ticket['id']}", f"/casos/{ticket['id']}/responder", texto=reply)
    assert "Respuesta enviada" in sent.text
    assert RestOutbox.received("maria") == [reply]
    [recorded] = [e for e in rasa.events("maria", "bot") if "operator" in e.get("metadata", {})]
    assert recorded["text"] == reply and recorded["metadata"] == {"operator": "ana"}
    assert "Operador/a ana" in sent.text and "Las vacunas para niños son *gratis*." in sent.text

    ana.submit(
        f"/casos/{ticket['id']}",
        f"/casos/{ticket['id']}/nota",
        texto="Derivar a la posta de su zona si vuelve a escribir.",
    )
    assert RestOutbox.received("maria") == [reply]  # notes are never sent

    closed = ana.submit(
        f"/casos/{ticket['id']}", f"/casos/{ticket['id']}/cerrar", resultado="resolved"
    )
    assert f"Caso #{ticket['id']} cerrado" in closed.text
    assert len(rasa.events("maria", "resume")) == 1
    assert rasa.executed == [("maria", "utter_back_from_human")]
    back = text_of(domain, "utter_back_from_human")
    assert RestOutbox.received("maria") == [reply, back]
    assert "*persona*" in back
    done = tickets.ticket(ticket["id"])
    assert (done["status"], done["outcome"]) == ("closed", "resolved")
    assert [m["author"] for m in done["messages"]][-2:] == ["operator", "note"]
    assert tickets.queue() == []


def test_a_double_click_sends_the_reply_once(login, rasa):
    ana, ticket_id = claimed(login, rasa)
    html = ana.get(f"/casos/{ticket_id}").text
    form = {"csrf": ana.csrf("/"), "clave_envio": KEY.search(html).group(1), "texto": "hola"}
    first = ana.post(f"/casos/{ticket_id}/responder", data=form)
    second = ana.post(f"/casos/{ticket_id}/responder", data=form)
    assert "Respuesta enviada" in first.text
    assert "la respuesta no se mandó dos veces" in second.text
    assert RestOutbox.received("persona1") == ["hola"]
    assert len([e for e in rasa.events("persona1", "bot") if e.get("metadata")]) == 1


def test_simultaneous_submissions_of_one_form_send_once(login, rasa):
    ana, ticket_id = claimed(login, rasa)
    form = {"csrf": ana.csrf("/"), "clave_envio": uuid.uuid4().hex, "texto": "una vez"}
    barrier = threading.Barrier(4)

    def click():
        barrier.wait()
        ana.post(f"/casos/{ticket_id}/responder", data=form)

    threads = [threading.Thread(target=click) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert RestOutbox.received("persona1") == ["una vez"]


def test_a_reply_to_a_closed_ticket_is_not_sent_and_the_text_is_kept(login, rasa):
    ana, ticket_id = claimed(login, rasa)
    html = ana.get(f"/casos/{ticket_id}").text  # the form is open...
    tickets.close(ticket_id, "ana", "no_answer")  # ...when the ticket closes (other tab)
    response = ana.post(
        f"/casos/{ticket_id}/responder",
        data={
            "csrf": ana.csrf("/"),
            "clave_envio": KEY.search(html).group(1),
            "texto": "¿sigues ahí?",
        },
    )
    assert response.status_code == 409
    assert "No se envió nada: Este caso ya está cerrado." in response.text
    assert "Tu texto, que no se envió" in response.text and "¿sigues ahí?" in response.text
    assert RestOutbox.received("persona1") == []


def test_an_empty_reply_is_refused_kindly(login, rasa):
    ana, ticket_id = claimed(login, rasa)
    response = ana.submit(f"/casos/{ticket_id}", f"/casos/{ticket_id}/responder", texto="  ")
    assert response.status_code == 422 and "Escribe una respuesta antes de enviar" in response.text


class ClosedWindow:
    """A channel that refuses, like WhatsApp 24 hours after the person's last message."""

    def send(self, sender_id, text):
        return Delivery(ok=False, reason="outside_24h_window")


def test_a_refused_delivery_says_why_and_keeps_the_text(login, rasa, monkeypatch):
    monkeypatch.setitem(outbound.CHANNELS, "whatsapp", ClosedWindow())
    ana, ticket_id = claimed(login, rasa, sender="51987654321")
    with tickets.session_scope() as session:
        session.get(tickets.Ticket, ticket_id).channel = "whatsapp"
    response = ana.submit(
        f"/casos/{ticket_id}", f"/casos/{ticket_id}/responder", texto="Hola, ¿pudiste vacunarte?"
    )
    assert "La respuesta NO llegó a la persona" in response.text
    assert "más de 24 horas" in response.text
    assert ">Hola, ¿pudiste vacunarte?</textarea>" in response.text
    assert "No llegó a la persona" in response.text  # marked in the history too
    assert not [e for e in rasa.events("51987654321", "bot") if e.get("metadata")]
    [reply] = [m for m in tickets.ticket(ticket_id)["messages"] if m["author"] == "operator"]
    assert (reply["delivery"], reply["delivery_reason"]) == ("refused", "outside_24h_window")


def test_an_unreachable_rasa_keeps_the_reply_for_a_retry(login, rasa, rasa_down, monkeypatch):
    ana, ticket_id = claimed(login, rasa)
    good_url = config.settings.rasa_url
    rasa_down()
    page = ana.get(f"/casos/{ticket_id}").text
    assert "No se pudo leer la conversación del asistente: Rasa no responde" in page
    assert "quiero hablar con alguien" in page  # the ticket's stored context
    response = ana.submit(
        f"/casos/{ticket_id}", f"/casos/{ticket_id}/responder", texto="Te escribo en un momento."
    )
    assert "no quedó en el historial del asistente porque Rasa no responde" in response.text
    assert RestOutbox.received("persona1") == ["Te escribo en un momento."]
    [reply] = [m for m in tickets.ticket(ticket_id)["messages"] if m["author"] == "operator"]
    assert reply["tracker_state"] == "pending"
    retry = f"/casos/{ticket_id}/respuestas/{reply['id']}/reintentar"
    assert f'action="{retry}"' in response.text

    still_down = ana.submit(f"/casos/{ticket_id}", retry)
    assert "Rasa sigue sin responder" in still_down.text

    monkeypatch.setattr(
        config,
        "settings",  # Rasa is back
        dataclasses.replace(config.settings, rasa_url=good_url),
    )
    ana.submit(f"/casos/{ticket_id}", retry)
    [recorded] = [e for e in rasa.events("persona1", "bot") if e.get("metadata")]
    assert recorded["text"] == "Te escribo en un momento."
    assert recorded["metadata"] == {"operator": "ana"}
    assert tickets.message(reply["id"])["tracker_state"] == "done"
    again = ana.submit(f"/casos/{ticket_id}", retry)  # a late double click: nothing more
    assert "quedó registrada" in again.text
    assert len([e for e in rasa.events("persona1", "bot") if e.get("metadata")]) == 1
    assert RestOutbox.received("persona1") == ["Te escribo en un momento."]
    rasa_down()  # down again: the reply still shows
    assert "Te escribo en un momento." in ana.get(f"/casos/{ticket_id}").text


def test_closing_while_rasa_is_unreachable_keeps_the_ticket_open(login, rasa, rasa_down):
    ana, ticket_id = claimed(login, rasa)
    rasa_down()
    response = ana.submit(f"/casos/{ticket_id}", f"/casos/{ticket_id}/cerrar", resultado="referred")
    assert response.status_code == 503
    assert "No se pudo cerrar el caso: el asistente (Rasa) no responde" in response.text
    assert 'value="referred" id="resultado-referred" checked' in response.text
    assert tickets.ticket(ticket_id)["status"] == "claimed"


def test_closing_when_rasa_fails_after_resuming_still_closes(login, rasa, monkeypatch):
    ana, ticket_id = claimed(login, rasa)
    from line.core import rasa_api

    def broken(sender_id, action):
        raise rasa_api.RasaUnavailable("http://rasa: HTTP 500")

    monkeypatch.setattr(rasa_api, "execute", broken)
    response = ana.submit(f"/casos/{ticket_id}", f"/casos/{ticket_id}/cerrar", resultado="resolved")
    assert "no pudo enviar el aviso de regreso" in response.text
    assert rasa.events("persona1", "resume")
    assert tickets.ticket(ticket_id)["status"] == "closed"


def test_closing_needs_an_outcome(login, rasa):
    ana, ticket_id = claimed(login, rasa)
    response = ana.submit(f"/casos/{ticket_id}", f"/casos/{ticket_id}/cerrar")
    assert "Elige cómo terminó el caso" in response.text
    assert tickets.ticket(ticket_id)["status"] == "claimed"


def test_quick_replies_are_the_faq_answers(login, rasa):
    ana, ticket_id = claimed(login, rasa)
    page = ana.get(f"/casos/{ticket_id}").text
    shelter = yaml.safe_load((ROOT / "data/faq/shelter.yml").read_text(encoding="utf-8"))
    answer = shelter["responses"]["utter_faq/shelter"][0]["text"]
    assert '<option value="shelter" data-text="' in page
    assert answer.splitlines()[0] in page and ">Albergues</option>" in page
