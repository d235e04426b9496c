"""Who sees what (issue #14): identifiers only for the holder of a ticket, redacted
previews, an append-only log of every opening, throttled logins, idle sessions."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlalchemy import text

from line.core import db
from line.core import settings as config
from line.handoff import audit
from tests.console.conftest import PASSWORD, Browser, ConsoleServer, utc, waiting_ticket

SAID = "me llamo María Quispe y mi celular es 987654321"
ERROR = re.compile(r'<div class="flash error" role="alert"[^>]*>(.*?)</div>', re.S)


class Clock:
    """The console's clock, moved by the test."""

    def __init__(self):
        self.now = utc(2026, 12, 7, 15, 0)

    def __call__(self):
        return self.now

    def forward(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def clocked(rasa, accounts_made, clock):
    with ConsoleServer(clock=clock) as server:
        yield server


def error_of(page) -> str:
    found = ERROR.search(page.text)
    return found.group(1) if found else ""


def logged_in(browser: Browser) -> bool:
    return browser.get("/", allow_redirects=False).status_code == 200


def test_the_eleventh_failed_login_is_refused_and_the_lock_lifts_after_15_minutes(clocked, clock):
    browser = Browser(clocked.url)
    for _ in range(9):
        assert "Usuario o contraseña incorrectos" in error_of(browser.login("ana", "mala-clave-1"))
    tenth = browser.login("ana", "mala-clave-1")
    assert tenth.status_code == 429 and "Demasiados intentos" in error_of(tenth)
    eleventh = browser.login("ana", PASSWORD)  # the right password, and still refused
    assert eleventh.status_code == 429 and "en pausa 15 minutos" in error_of(eleventh)
    assert not logged_in(browser)
    clock.forward(minutes=14, seconds=59)
    assert "Demasiados intentos" in error_of(browser.login("ana", PASSWORD))
    clock.forward(seconds=1)
    assert "Fila de atención" in browser.login("ana", PASSWORD).text
    assert logged_in(browser)


def test_an_unknown_account_gets_the_same_messages_as_a_known_one(clocked):
    pages = {name: [] for name in ("ana", "nadie")}
    for name, seen in pages.items():
        browser = Browser(clocked.url)
        for _ in range(11):
            page = browser.login(name, "mala-clave-1")
            seen.append((page.status_code, error_of(page).replace(name, "")))
    assert pages["ana"] == pages["nadie"]
    assert pages["ana"][0][1] and pages["ana"][-1][0] == 429


def test_a_success_clears_the_account_names_failures(clocked):
    browser = Browser(clocked.url)
    for _ in range(9):
        browser.login("ana", "mala-clave-1")
    assert "Fila de atención" in browser.login("ana", PASSWORD).text
    for _ in range(9):
        assert "Usuario o contraseña" in error_of(Browser(clocked.url).login("ana", "mala-1"))


def test_failures_from_one_address_lock_it_whatever_the_account_name(
    rasa, accounts_made, clock, monkeypatch
):
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, console_address_failures=5)
    )
    with ConsoleServer(clock=clock) as server:
        browser = Browser(server.url)
        for n in range(5):
            browser.login(f"intento{n}", "mala-clave-1")
        assert "Demasiados intentos" in error_of(browser.login("beto", PASSWORD))
        clock.forward(minutes=15)
        assert "Fila de atención" in browser.login("beto", PASSWORD).text


def test_an_idle_session_expires_and_the_queue_reloading_itself_does_not_keep_it(clocked, clock):
    browser = Browser(clocked.url)
    browser.login("ana")
    clock.forward(minutes=100)
    assert logged_in(browser)  # activity: idle time starts again
    clock.forward(minutes=119)
    assert browser.get("/?auto=1", allow_redirects=False).status_code == 200
    clock.forward(minutes=2)  # 121 minutes since the last real request
    expired = browser.get("/?auto=1", allow_redirects=False)
    assert expired.status_code == 303 and "motivo=expirada" in expired.headers["Location"]
    assert not logged_in(browser)


def test_the_queue_shows_redacted_previews(login, rasa):
    waiting_ticket("maria", text=SAID, rasa=rasa)
    queue = login("ana").get("/").text
    assert "987654321" not in queue and "Quispe" not in queue
    assert "&lt;TELEFONO&gt;" in queue and "&lt;NOMBRE&gt;" in queue


def test_only_the_holder_sees_identifiers_and_an_operator_cannot_open_anothers_ticket(login, rasa):
    ticket_id = waiting_ticket("maria", text=SAID, rasa=rasa)
    ana, beto, coco = login("ana"), login("beto"), login("coco")
    before = ana.get(f"/casos/{ticket_id}").text
    assert "987654321" not in before and "&lt;TELEFONO&gt;" in before
    assert 'id="tomar"' in before
    held = ana.submit("/", f"/casos/{ticket_id}/tomar").text
    assert "987654321" in held and "María Quispe" in held
    refused = beto.get(f"/casos/{ticket_id}")
    assert refused.status_code == 403 and "Este caso lo atiende ana" in refused.text
    assert "987654321" not in refused.text and "&lt;TELEFONO&gt;" not in refused.text
    supervised = coco.get(f"/casos/{ticket_id}")
    assert supervised.status_code == 200 and 'id="otro-operador"' in supervised.text
    assert "987654321" not in supervised.text and "&lt;TELEFONO&gt;" in supervised.text
    assert 'id="form-responder"' not in supervised.text


def test_every_opening_is_logged_and_coordinators_read_the_log(login, rasa):
    ticket_id = waiting_ticket("maria", text=SAID, rasa=rasa)
    ana, beto, coco = login("ana"), login("beto"), login("coco")
    ana.get(f"/casos/{ticket_id}")
    ana.submit("/", f"/casos/{ticket_id}/tomar")  # lands on the ticket: a second opening
    ana.get(f"/casos/{ticket_id}")
    beto.get(f"/casos/{ticket_id}")  # refused: nothing was shown, nothing to log
    coco.get(f"/casos/{ticket_id}")
    seen = [(v["operator"], v["what"], v["identifiers"]) for v in audit.views(ticket_id)]
    assert seen == [
        ("coco", "conversation", False),
        ("ana", "conversation", True),
        ("ana", "conversation", True),
        ("ana", "conversation", False),
    ]
    assert beto.get("/coordinacion/registro").status_code == 403
    log = coco.get(f"/coordinacion/registro?caso={ticket_id}").text
    assert log.count('id="acceso-') == 4 and log.count("<td>ana</td>") == 3
    assert "visibles (tenía el caso)" in log and "ocultos" in log
    assert "987654321" not in log


@pytest.mark.parametrize(
    "change", ["UPDATE console_views SET operator = 'x'", "DELETE FROM console_views"]
)
def test_the_database_refuses_to_change_the_log(migrated, change):
    audit.record("ana", 1, audit.CONVERSATION, True)
    with pytest.raises(Exception, match="append-only"):
        with db.engine().begin() as connection:
            connection.execute(text(change))
    assert [v["operator"] for v in audit.views(1)] == ["ana"]
