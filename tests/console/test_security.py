"""Security of the console: login everywhere, CSRF on every POST, ownership of
tickets, roles, escaping of what people write, and sessions that end."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from line.core import db
from line.handoff import accounts, tickets
from line.handoff.outbound import RestOutbox
from tests.console.conftest import CSRF, PASSWORD, Browser, waiting_ticket

PAGES = ["/", "/casos/1", "/coordinacion"]
POSTS = [
    "/casos/1/tomar",
    "/casos/1/devolver",
    "/casos/1/responder",
    "/casos/1/nota",
    "/casos/1/cerrar",
    "/casos/1/respuestas/1/reintentar",
    "/coordinacion/operadores",
    "/coordinacion/operadores/1/desactivar",
    "/coordinacion/personas",
    "/coordinacion/personas/exportar",
    "/coordinacion/personas/borrar",
    "/logout",
]


def test_no_page_without_login(console, accounts_made):
    anonymous = Browser(console.url)
    waiting_ticket()
    for path in PAGES:
        response = anonymous.get(path, allow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/login?siguiente=")
    for path in POSTS:
        response = anonymous.post(path, data={"texto": "x"}, allow_redirects=False)
        assert response.status_code == 303 and "/login" in response.headers["Location"], path
    assert tickets.queue()[0]["status"] == "waiting"
    assert anonymous.get("/salud").json() == {"ok": True}


def test_login_with_a_wrong_password_or_an_unknown_user_fails_the_same_way(console, accounts_made):
    browser = Browser(console.url)
    wrong = browser.login("ana", "otra-clave-123").text
    unknown = browser.login("nadie", PASSWORD).text
    for page in (wrong, unknown):
        assert "Usuario o contraseña incorrectos" in page
    assert browser.get("/", allow_redirects=False).status_code == 303


def test_login_returns_to_the_page_asked_for(login, console):
    ticket_id = waiting_ticket()
    browser = Browser(console.url)
    page = browser.get(f"/casos/{ticket_id}")
    assert page.url.endswith(f"/login?siguiente=%2Fcasos%2F{ticket_id}")
    token = CSRF.search(page.text).group(1)
    response = browser.post(
        "/login",
        data={
            "csrf": token,
            "usuario": "ana",
            "clave": PASSWORD,
            "siguiente": f"/casos/{ticket_id}",
        },
    )
    assert response.url.endswith(f"/casos/{ticket_id}")
    evil = browser.post("/logout", data={"csrf": browser.csrf("/")})
    token = CSRF.search(evil.text).group(1)
    response = browser.post(
        "/login",
        data={"csrf": token, "usuario": "ana", "clave": PASSWORD, "siguiente": "//evil.example/"},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/"


def test_csrf_is_required_on_every_post(login, console):
    ticket_id = waiting_ticket()
    ana = login("ana")
    for token in ("", "0" * 64, None):
        data = {"csrf": token} if token is not None else {}
        response = ana.post(f"/casos/{ticket_id}/tomar", data=data)
        assert response.status_code == 403
        assert "No se aceptó el formulario" in response.text
    assert tickets.ticket(ticket_id)["status"] == "waiting"
    # Another operator's token is no good either: it is bound to the session.
    beto_token = login("beto").csrf("/")
    assert ana.post(f"/casos/{ticket_id}/tomar", data={"csrf": beto_token}).status_code == 403
    assert ana.post("/logout", data={}).status_code == 403


def test_login_form_needs_its_csrf_cookie(console, accounts_made):
    browser = Browser(console.url)
    token = browser.csrf("/login")
    browser.cookies.clear()
    response = browser.post("/login", data={"csrf": token, "usuario": "ana", "clave": PASSWORD})
    assert response.status_code == 403 and "El formulario caducó" in response.text
    assert browser.get("/", allow_redirects=False).status_code == 303


def test_an_operator_cannot_act_on_another_operators_ticket(login, rasa):
    ticket_id = waiting_ticket(rasa=rasa)
    ana, beto = login("ana"), login("beto")
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    page = beto.get(f"/casos/{ticket_id}")
    assert page.status_code == 403 and "Este caso lo atiende ana" in page.text
    assert "quiero hablar con alguien" not in page.text
    assert 'id="form-responder"' not in page.text
    token = beto.csrf("/")
    key = "a" * 32
    attempts = {
        "responder": {"texto": "hola, soy beto", "clave_envio": key},
        "nota": {"texto": "nota de beto", "clave_envio": "b" * 32},
    }
    for action, data in attempts.items():
        response = beto.post(f"/casos/{ticket_id}/{action}", data={"csrf": token, **data})
        assert response.status_code == 403
        assert "Solo quien tomó el caso puede abrirlo y actuar en él" in response.text
    closing = beto.post(f"/casos/{ticket_id}/cerrar", data={"csrf": token, "resultado": "other"})
    assert "Solo quien tomó el caso puede actuar" in closing.text
    releasing = beto.post(f"/casos/{ticket_id}/devolver", data={"csrf": token})
    assert "Solo quien tomó el caso puede actuar" in releasing.text
    taking = beto.post(f"/casos/{ticket_id}/tomar", data={"csrf": token})
    assert "lo atiende ana" in taking.text
    ticket = tickets.ticket(ticket_id)
    assert ticket["status"] == "claimed" and ticket["claimed_by"] == "ana"
    assert [m["author"] for m in ticket["messages"]] == ["user"]
    assert RestOutbox.received("persona1") == []
    assert rasa.events("persona1", "resume") == []


def test_two_operators_clicking_take_at_once_one_gets_it(login):
    ticket_id = waiting_ticket()
    browsers = {"ana": login("ana"), "beto": login("beto")}
    tokens = {name: b.csrf("/") for name, b in browsers.items()}
    barrier = threading.Barrier(2)
    pages = {}

    def click(name):
        barrier.wait()
        pages[name] = (
            browsers[name].post(f"/casos/{ticket_id}/tomar", data={"csrf": tokens[name]}).text
        )

    threads = [threading.Thread(target=click, args=(name,)) for name in browsers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    winner = tickets.ticket(ticket_id)["claimed_by"]
    loser = "beto" if winner == "ana" else "ana"
    assert f"Tomaste el caso #{ticket_id}" in pages[winner]
    assert f"lo atiende {winner}" in pages[loser]


def test_what_people_write_is_escaped(login, rasa):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    ticket_id = waiting_ticket("<b>raro</b>", text=attack, rasa=rasa)
    rasa.add("<b>raro</b>", {"event": "user", "text": "<i>sigo aquí</i>", "timestamp": 0})
    ana = login("ana")
    queue = ana.get("/").text
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    ana.submit(f"/casos/{ticket_id}", f"/casos/{ticket_id}/nota", texto="<u>nota</u>")
    page = ana.get(f"/casos/{ticket_id}").text
    for html in (queue, page):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "<b>raro</b>" not in page and "&lt;b&gt;raro&lt;/b&gt;" in page
    assert "&lt;i&gt;sigo aquí&lt;/i&gt;" in page and "&lt;u&gt;nota&lt;/u&gt;" in page


def test_pages_forbid_framing_and_foreign_scripts(login):
    headers = login("ana").get("/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cache-Control"] == "no-store"


def test_session_cookie_is_http_only_and_same_site(console, accounts_made):
    browser = Browser(console.url)
    token = browser.csrf("/login")
    response = browser.post(
        "/login", data={"csrf": token, "usuario": "ana", "clave": PASSWORD}, allow_redirects=False
    )
    cookie = response.headers["Set-Cookie"].lower()
    assert "consola=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def expire_sessions(minutes: int) -> None:
    with db.session_scope() as session:
        session.execute(
            update(accounts.ConsoleSession).values(
                last_seen_at=datetime.utcnow() - timedelta(minutes=minutes)
            )
        )


def test_an_expired_session_goes_to_login_with_a_message(login):
    ticket_id = waiting_ticket()
    ana = login("ana")
    token = ana.csrf("/")
    expire_sessions(60 * 24)
    response = ana.post(f"/casos/{ticket_id}/tomar", data={"csrf": token}, allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/login?siguiente=%2Fcasos%2F{ticket_id}&motivo=expirada"
    )
    assert tickets.ticket(ticket_id)["status"] == "waiting"
    page = ana.get(response.headers["Location"])
    assert "Tu sesión expiró" in page.text and "el borrador sigue guardado" in page.text
    # Back in, the operator lands where they were.
    relogin = ana.post(
        "/login",
        data={
            "csrf": CSRF.search(page.text).group(1),
            "usuario": "ana",
            "clave": PASSWORD,
            "siguiente": f"/casos/{ticket_id}",
        },
    )
    assert relogin.url.endswith(f"/casos/{ticket_id}")


def test_a_session_ends_after_its_maximum_lifetime(login):
    ana = login("ana")
    with db.session_scope() as session:
        session.execute(
            update(accounts.ConsoleSession).values(created_at=datetime.utcnow() - timedelta(days=2))
        )
    assert "motivo=expirada" in ana.get("/").url


def test_logout_ends_the_session(login):
    ana = login("ana")
    page = ana.post("/logout", data={"csrf": ana.csrf("/")})
    assert "Cerraste tu sesión" in page.text
    assert ana.get("/", allow_redirects=False).status_code == 303


def test_only_coordination_manages_accounts(login):
    ana = login("ana")
    assert ana.get("/coordinacion").status_code == 403
    response = ana.post(
        "/coordinacion/operadores",
        data={
            "csrf": ana.csrf("/"),
            "usuario": "intruso",
            "rol": "coordinator",
            "clave": PASSWORD,
            "clave2": PASSWORD,
        },
    )
    assert response.status_code == 403
    assert "intruso" not in [o["username"] for o in accounts.operators()]


def test_each_role_opens_only_its_part_of_the_console(login, rasa):
    """An editor or a trainer never sees a person's case; an operator never edits content."""
    ticket_id = waiting_ticket(rasa=rasa)
    for name, home in (("eva", "/contenido"), ("tito", "/entrenamiento")):
        person = login(name)
        assert person.get("/", allow_redirects=False).headers["Location"] == home
        assert person.get(f"/casos/{ticket_id}").status_code == 403
        assert person.get("/coordinacion").status_code == 403
        taken = person.post(
            f"/casos/{ticket_id}/tomar", data={"csrf": person.csrf("/coordinacion")}
        )
        assert taken.status_code == 403
    assert tickets.ticket(ticket_id)["status"] == "waiting"
    ana = login("ana")
    page = ana.get("/")
    assert "Fila de atención" in page.text and 'href="/contenido"' not in page.text
    for area in ("/contenido", "/entrenamiento", "/informes"):
        assert ana.get(area).status_code == 403


def new_account(coordinator, username, password):
    return coordinator.submit(
        "/coordinacion",
        "/coordinacion/operadores",
        usuario=username,
        rol="operator",
        clave=password,
        clave2=password,
    )


def test_coordination_creates_and_deactivates_operators(login):
    coco = login("coco")
    created = new_account(coco, "Dani", PASSWORD)
    assert "Cuenta «dani» creada" in created.text
    short = new_account(coco, "eva", "corta")
    assert "al menos 10 caracteres" in short.text and 'value="eva"' in short.text
    taken = new_account(coco, "ana", PASSWORD)
    assert "Ya existe una cuenta con ese usuario" in taken.text

    ticket_id = waiting_ticket()
    ana = login("ana")
    ana.submit("/", f"/casos/{ticket_id}/tomar")
    [ana_account] = [o for o in accounts.operators() if o["username"] == "ana"]
    page = coco.submit("/coordinacion", f"/coordinacion/operadores/{ana_account['id']}/desactivar")
    assert "Cuenta «ana» desactivada" in page.text and "1 caso(s)" in page.text
    assert tickets.ticket(ticket_id)["status"] == "waiting"
    assert "motivo=expirada" in ana.get("/").url
    assert "Usuario o contraseña incorrectos" in Browser(coco.base).login("ana").text
    [coco_account] = [o for o in accounts.operators() if o["username"] == "coco"]
    itself = coco.submit(
        "/coordinacion", f"/coordinacion/operadores/{coco_account['id']}/desactivar"
    )
    assert "No puedes desactivar tu propia cuenta" in itself.text


def test_passwords_are_stored_hashed(database):
    accounts.create("zoe", PASSWORD, "operator")
    with db.session_scope() as session:
        stored = session.query(accounts.Operator).filter_by(username="zoe").one().password_hash
    assert PASSWORD not in stored and stored.startswith("$argon2id$")
    assert accounts.authenticate("ZOE", PASSWORD)["username"] == "zoe"
    assert accounts.authenticate("zoe", "no-es-la-clave") is None


@pytest.mark.parametrize(
    "username, password, role, code",
    [
        ("a", PASSWORD, "operator", "bad_username"),
        ("con espacio", PASSWORD, "operator", "bad_username"),
        ("ok", "corta", "operator", "short_password"),
        ("ok", PASSWORD, "admin", "bad_role"),
    ],
)
def test_account_rules(database, username, password, role, code):
    with pytest.raises(accounts.AccountError) as error:
        accounts.create(username, password, role)
    assert error.value.code == code
