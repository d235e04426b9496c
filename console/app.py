"""The console's routes: login, queue, ticket, coordination, people's rights.

Handlers stay thin: the work is in `line/handoff/` (`tickets`, `desk`,
`accounts`), which are blocking (SQLAlchemy, HTTP to Rasa) and so run in a
thread. Every POST carries a CSRF token; every reply and note form carries a
one-time key, so a double click never sends twice. Wording lives in templates.
People's rights (coordinators only): a written request names a person by phone
number or pseudonym, always in a POST body, never in a URL that logs keep.
`main()` also opens the metrics port, where the queue and the WhatsApp inbox are read
from the database at each scrape (line/core/metrics.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from functools import wraps
from pathlib import Path
from typing import Callable, Optional
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader
from sanic import Sanic, response
from sanic.request import Request

from console import pages, security
from line.content import provenance
from line.core import db, metrics, pseudonyms, rasa_api, topics
from line.core import settings as config
from line.core.db import DatabaseUnavailable
from line.feedback import erasure
from line.handoff import accounts, audit, desk, hours, outbound, tickets
from line.media import crypto as media_crypto
from line.media import kinds as media_kinds
from line.media import store as media_store
from line.privacy import logs, rights
from line.whatsapp import cloud
from line.whatsapp import store as whatsapp_store

logger = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
KEY = re.compile(r"^[0-9a-f]{32}$")
TICKET_PATH = re.compile(r"^/casos/\d+")
AUTO_REFRESH = "auto"  # the query parameter of the queue's own reloads
MAX_REPLY_LENGTH = 4096  # WhatsApp's limit for one text message
MAX_NOTE_LENGTH = 4000
# Where each role lands after login: an editor or a trainer has no queue.
HOME = {
    accounts.OPERATOR: "/",
    accounts.COORDINATOR: "/",
    accounts.EDITOR: "/contenido",
    accounts.TRAINER: "/entrenamiento",
}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _local_path(path: str) -> str:
    """Only same-site paths are followed after login (no open redirect)."""
    return path if path.startswith("/") and not path.startswith(("//", "/\\")) else "/"


def create_app(
    name: str = "console", clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)
) -> Sanic:
    """`clock` (aware UTC) decides waiting times and operator hours; tests fix it."""
    cfg = config.settings
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 1_000_000
    secret = security.load_secret(cfg)
    cookie = cfg.console_cookie_name
    pre_cookie = f"{cookie}_pre"
    idle = timedelta(minutes=cfg.console_idle_minutes)
    lifetime = timedelta(hours=cfg.console_session_hours)
    limits = accounts.Limits(
        cfg.console_login_failures,
        cfg.console_address_failures,
        timedelta(minutes=cfg.console_lock_minutes),
    )
    templates = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    offset = timezone(timedelta(hours=cfg.utc_offset_hours))
    templates.filters["local"] = lambda moment, fmt="%d/%m %H:%M": (
        moment.replace(tzinfo=timezone.utc).astimezone(offset).strftime(fmt) if moment else ""
    )
    app.static("/static", str(HERE / "static"))

    def set_cookie(resp, key: str, value: str, max_age: Optional[int] = None) -> None:
        resp.cookies[key] = value
        resp.cookies[key]["httponly"] = True
        resp.cookies[key]["samesite"] = "Lax"
        resp.cookies[key]["secure"] = cfg.console_cookie_secure
        if max_age is not None:
            resp.cookies[key]["max-age"] = max_age

    async def render(request: Request, template: str, status: int = 200, **context):
        token = getattr(request.ctx, "token", None)
        flashes = await asyncio.to_thread(accounts.pop_flash, token) if token else []
        context.setdefault("pre_token", None)
        html = templates.get_template(template).render(
            user=getattr(request.ctx, "user", None),
            may=accounts.may,
            flashes=flashes,
            csrf=security.csrf_token(secret, token or context["pre_token"] or ""),
            **context,
        )
        return response.html(html, status=status)

    async def flash(request: Request, kind: str, code: str, **params) -> None:
        await asyncio.to_thread(accounts.push_flash, request.ctx.token, kind, code, **params)

    def see_other(path: str):
        return response.redirect(path, status=303)

    def to_login(request: Request, expired: bool):
        back = request.path
        if request.method != "GET":  # back to the page the form was on
            page = TICKET_PATH.match(request.path)
            back = page.group(0) if page else "/"
        query = {"siguiente": back, **({"motivo": "expirada"} if expired else {})}
        resp = see_other(f"/login?{urlencode(query)}")
        if expired:
            del resp.cookies[cookie]
        return resp

    def protected(area: Optional[str] = None):
        """Login first (an expired session says so), then CSRF on POST, then whether the
        role opens `area` (accounts.AREAS)."""

        def decorate(handler):
            @wraps(handler)
            async def wrapper(request: Request, *args, **kwargs):
                token = request.cookies.get(cookie)
                user = (
                    await asyncio.to_thread(
                        accounts.session_user,
                        token,
                        idle,
                        lifetime,
                        _utc(clock()),
                        # The queue reloading itself is no sign that anyone is there.
                        active=AUTO_REFRESH not in request.args,
                    )
                    if token
                    else None
                )
                if user is None:
                    return to_login(request, expired=bool(token))
                request.ctx.user, request.ctx.token = user, token
                if request.method == "POST" and not security.csrf_ok(
                    secret, token, request.form.get("csrf", "")
                ):
                    return await render(request, "error.html", 403, code="csrf")
                if area and not accounts.may(user, area):
                    if request.method == "GET" and request.path == "/":
                        return see_other(HOME[user["role"]])  # each role lands on its page
                    return await render(request, "error.html", 403, code="forbidden")
                return await handler(request, *args, **kwargs)

            return wrapper

        return decorate

    @app.exception(DatabaseUnavailable)
    async def database_down(request: Request, exc: Exception):
        return await render(request, "error.html", 503, code="database")

    @app.on_response
    async def security_headers(request: Request, resp) -> None:
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            resp.headers.setdefault("Cache-Control", "no-store")

    @app.get("/salud")
    async def health(request: Request):
        return response.json({"ok": True})

    # --- Login ---------------------------------------------------------------

    async def login_page(
        request: Request, status: int = 200, error: Optional[str] = None, username: str = ""
    ):
        pre = secrets.token_urlsafe(16)
        source = request.form if request.method == "POST" else request.args
        resp = await render(
            request,
            "login.html",
            status,
            pre_token=pre,
            error=error,
            username=username,
            reason=request.args.get("motivo"),
            next_path=_local_path(source.get("siguiente") or "/"),
            lock_minutes=cfg.console_lock_minutes,
        )
        set_cookie(resp, pre_cookie, pre)
        return resp

    @app.get("/login")
    async def login_form(request: Request):
        return await login_page(request)

    @app.post("/login")
    async def login(request: Request):
        if not security.csrf_ok(
            secret, request.cookies.get(pre_cookie, ""), request.form.get("csrf", "")
        ):
            return await login_page(request, 403, "csrf")
        username = request.form.get("usuario", "")
        now = _utc(clock())
        user, locked = await asyncio.to_thread(
            accounts.login,
            username,
            request.form.get("clave", ""),
            request.remote_addr or request.ip,
            limits,
            now,
        )
        if user is None:
            error = "locked" if locked else "credentials"
            return await login_page(request, 429 if locked else 200, error, username)
        if request.cookies.get(cookie):  # a new login replaces the old session
            await asyncio.to_thread(accounts.end_session, request.cookies[cookie])
        token = await asyncio.to_thread(accounts.start_session, user["id"], now)
        resp = see_other(_local_path(request.form.get("siguiente", "/")))
        set_cookie(resp, cookie, token)
        del resp.cookies[pre_cookie]
        return resp

    @app.post("/logout")
    @protected()
    async def logout(request: Request):
        await asyncio.to_thread(accounts.end_session, request.ctx.token)
        resp = see_other("/login?motivo=salida")
        del resp.cookies[cookie]
        return resp

    # --- Queue ---------------------------------------------------------------

    @app.get("/")
    @protected(accounts.CASES)
    async def queue(request: Request):
        now = clock()
        waiting = await asyncio.to_thread(lambda: desk.redacted(tickets.queue(), "summary"))
        for ticket in waiting:
            ticket["wait_seconds"] = (_utc(now) - ticket["created_at"]).total_seconds()
        is_open = hours.is_open(now, cfg)
        media = await asyncio.to_thread(media_store.latest_by_ticket, [t["id"] for t in waiting])
        return await render(
            request,
            "queue.html",
            tickets=waiting,
            media=media,
            is_open=is_open,
            opens=None if is_open else hours.next_opening(now, cfg),
            auto_refresh=AUTO_REFRESH,
            titles=topics.faq_titles(),
        )

    async def conflict(request: Request, ticket_id: int, exc: tickets.TicketConflict, to: str):
        """The ticket could not take the operator's action: say why, back to `to`."""
        await flash(request, "error", exc.code, ticket=ticket_id, by=exc.claimed_by)
        return see_other(to)

    async def move(
        request: Request, ticket_id: int, change, done: str, then: str, on_conflict: str
    ):
        """Claim or release a ticket as the logged-in operator, and say it was done."""
        try:
            await asyncio.to_thread(change, ticket_id, request.ctx.user["username"])
        except tickets.TicketConflict as exc:
            return await conflict(request, ticket_id, exc, on_conflict)
        await flash(request, "ok", done, ticket=ticket_id)
        return see_other(then)

    @app.post("/casos/<ticket_id:int>/tomar")
    @protected(accounts.CASES)
    async def claim(request: Request, ticket_id: int):
        return await move(request, ticket_id, tickets.claim, "claimed", f"/casos/{ticket_id}", "/")

    @app.post("/casos/<ticket_id:int>/devolver")
    @protected(accounts.CASES)
    async def release(request: Request, ticket_id: int):
        return await move(
            request, ticket_id, tickets.release, "released", "/", f"/casos/{ticket_id}"
        )

    # --- One ticket ----------------------------------------------------------

    async def ticket_page(
        request: Request,
        ticket_id: int,
        status: int = 200,
        error: Optional[dict] = None,
        reply_text: str = "",
        note_text: str = "",
        outcome: str = "",
    ):
        user = request.ctx.user
        ticket = await asyncio.to_thread(tickets.ticket, ticket_id)
        if ticket is None:
            return await render(request, "error.html", 404, code="missing")
        mine = desk.sight(ticket, user)
        if mine is None:
            return await render(request, "error.html", 403, code="held", by=ticket["claimed_by"])
        entries, rasa_error = await asyncio.to_thread(desk.history, ticket)
        if not mine:
            entries = await asyncio.to_thread(desk.redacted, entries, "text")
        now = _utc(clock())
        await asyncio.to_thread(
            audit.record, user["username"], ticket_id, audit.CONVERSATION, mine, now=now
        )
        entries = await media_entries(request, ticket_id, entries, mine)
        return await render(
            request,
            "ticket.html",
            status,
            ticket=ticket,
            entries=entries,
            rasa_error=rasa_error,
            error=error,
            reply_text=reply_text,
            note_text=note_text,
            outcome=outcome,
            reply_key=uuid.uuid4().hex,
            note_key=uuid.uuid4().hex,
            mine=mine,
            shown_as=media_kinds.SHOWN_AS,
            wait_seconds=(
                (ticket["claimed_at"] or ticket["closed_at"] or now) - ticket["created_at"]
            ).total_seconds(),
            quick_replies=topics.faq_answers(),
            titles=topics.faq_titles(),
            outcomes=tickets.OUTCOMES,
            max_reply=MAX_REPLY_LENGTH,
        )

    async def media_entries(request: Request, ticket_id: int, entries: list, mine: bool) -> list:
        """The ticket's voice notes, photos and files among the messages, by time. Only
        the operator who holds the ticket reads a transcript, and each reading is logged."""
        media = await asyncio.to_thread(media_store.for_ticket, ticket_id)
        for item in media:
            text = None
            if mine and item["transcript_state"] in media_store.SHOWN_TRANSCRIPTS:
                text = await asyncio.to_thread(media_store.transcript, item["id"])
                await asyncio.to_thread(
                    audit.record,
                    request.ctx.user["username"],
                    ticket_id,
                    audit.TRANSCRIPT,
                    True,
                    item["id"],
                    _utc(clock()),
                )
            entries.append(
                {"author": "media", "at": item["created_at"], "media": item, "transcript": text}
            )
        return sorted(entries, key=lambda entry: entry["at"])

    def posted_text(request: Request, limit: int, kind: str):
        """The text and one-time key of a reply or note form, and what is wrong with them
        (an HTTP status and the error the page shows), if anything."""
        text = request.form.get("texto", "").strip()
        key = request.form.get("clave_envio", "")
        if not KEY.match(key):
            return text, key, (400, {"code": "bad_form"})
        if not text or len(text) > limit:
            return text, key, (422, {"code": f"{kind}_empty" if not text else f"{kind}_long"})
        return text, key, None

    @app.get("/casos/<ticket_id:int>")
    @protected(accounts.CASES)
    async def show_ticket(request: Request, ticket_id: int):
        return await ticket_page(request, ticket_id)

    @app.get("/casos/<ticket_id:int>/medios/<media_id:int>")
    @protected(accounts.CASES)
    async def show_media(request: Request, ticket_id: int, media_id: int):
        """The file itself, to the operator who holds the ticket only; every opening is
        logged. Served so that the browser never runs it: no scripts, no sniffing."""
        user = request.ctx.user["username"]
        try:
            await asyncio.to_thread(tickets.owned, ticket_id, user)
        except tickets.TicketConflict:
            return await render(request, "error.html", 403, code="media_forbidden")
        item = await asyncio.to_thread(media_store.item, media_id)
        if item is None or item["ticket_id"] != ticket_id:
            return await render(request, "error.html", 404, code="missing_media")
        try:
            content, mime_type = await asyncio.to_thread(media_store.content, media_id)
        except KeyError:
            return await render(request, "error.html", 404, code="missing_media")
        except media_crypto.KeyUnusable:
            return await render(request, "error.html", 500, code="media_key")
        await asyncio.to_thread(
            audit.record, user, ticket_id, audit.FILE, True, media_id, _utc(clock())
        )
        shown_as = media_kinds.SHOWN_AS[mime_type]
        extension = mime_type.split("/")[1].replace("mpeg", "mp3")
        disposition = "attachment" if shown_as == "download" else "inline"
        name = f"caso-{ticket_id}-{media_id}.{extension}"
        return response.raw(
            content,
            content_type=mime_type,
            headers={
                "Content-Disposition": f'{disposition}; filename="{name}"',
                "Content-Security-Policy": "default-src 'none'; sandbox",
            },
        )

    @app.post("/casos/<ticket_id:int>/responder")
    @protected(accounts.CASES)
    async def reply(request: Request, ticket_id: int):
        text, key, problem = posted_text(request, MAX_REPLY_LENGTH, "reply")
        if problem:
            return await ticket_page(request, ticket_id, *problem, text)
        try:
            result = await asyncio.to_thread(
                desk.send_reply, ticket_id, request.ctx.user["username"], text, key
            )
        except tickets.TicketConflict as exc:
            return await ticket_page(
                request, ticket_id, 409, {"code": exc.code, "by": exc.claimed_by}, text
            )
        if result.status == "refused":
            return await ticket_page(
                request, ticket_id, 200, {"code": "refused", "reason": result.reason}, text
            )
        if result.status == "untracked":
            await flash(request, "warning", "untracked", reason=result.reason)
        else:
            await flash(request, "ok", "reply_" + result.status)
        return see_other(f"/casos/{ticket_id}")

    @app.post("/casos/<ticket_id:int>/respuestas/<message_id:int>/reintentar")
    @protected(accounts.CASES)
    async def retry(request: Request, ticket_id: int, message_id: int):
        try:
            error = await asyncio.to_thread(
                desk.retry_tracking, ticket_id, request.ctx.user["username"], message_id
            )
        except tickets.TicketConflict as exc:
            return await conflict(request, ticket_id, exc, f"/casos/{ticket_id}")
        if error:
            await flash(request, "error", "still_untracked", reason=error)
        else:
            await flash(request, "ok", "tracked")
        return see_other(f"/casos/{ticket_id}")

    @app.post("/casos/<ticket_id:int>/nota")
    @protected(accounts.CASES)
    async def note(request: Request, ticket_id: int):
        text, key, problem = posted_text(request, MAX_NOTE_LENGTH, "note")
        if problem:
            return await ticket_page(request, ticket_id, *problem, note_text=text)
        try:
            await asyncio.to_thread(
                tickets.add_note, ticket_id, request.ctx.user["username"], text, key
            )
        except tickets.TicketConflict as exc:
            return await ticket_page(
                request, ticket_id, 409, {"code": exc.code, "by": exc.claimed_by}, note_text=text
            )
        await flash(request, "ok", "noted")
        return see_other(f"/casos/{ticket_id}")

    @app.post("/casos/<ticket_id:int>/cerrar")
    @protected(accounts.CASES)
    async def close(request: Request, ticket_id: int):
        outcome = request.form.get("resultado", "")
        if outcome not in tickets.OUTCOMES:
            return await ticket_page(request, ticket_id, 422, {"code": "no_outcome"})
        try:
            result = await asyncio.to_thread(
                desk.close, ticket_id, request.ctx.user["username"], outcome
            )
        except tickets.TicketConflict as exc:
            return await conflict(request, ticket_id, exc, f"/casos/{ticket_id}")
        except rasa_api.RasaUnavailable as exc:
            return await ticket_page(
                request, ticket_id, 503, {"code": "close_rasa", "reason": str(exc)}, outcome=outcome
            )
        if result.rasa_error:
            await flash(
                request, "warning", "closed_no_back", ticket=ticket_id, reason=result.rasa_error
            )
        else:
            await flash(request, "ok", "ticket_closed", ticket=ticket_id)
        return see_other("/")

    # --- Coordination --------------------------------------------------------

    async def coordination_page(
        request: Request,
        status: int = 200,
        error: Optional[str] = None,
        form: Optional[dict] = None,
    ):
        now = clock()
        midnight = hours.local_now(cfg, now).replace(hour=0, minute=0, second=0, microsecond=0)
        stats = await asyncio.to_thread(tickets.stats, _utc(midnight), _utc(now))
        people = await asyncio.to_thread(accounts.operators)
        # The same list as `make content-due`: answers to check again soon.
        due = await asyncio.to_thread(provenance.due, hours.local_now(cfg, now).date())
        return await render(
            request,
            "coordination.html",
            status,
            stats=stats,
            people=people,
            due=due,
            error=error,
            form=form or {},
            roles=accounts.ROLES,
            min_length=accounts.MIN_PASSWORD_LENGTH,
        )

    @app.get("/coordinacion")
    @protected(accounts.COORDINATION)
    async def coordination(request: Request):
        return await coordination_page(request)

    @app.get("/coordinacion/registro")
    @protected(accounts.COORDINATION)
    async def audit_log(request: Request):
        """Who opened which conversation, file or transcript (read only: no route
        changes it, and the database refuses to)."""
        asked = request.args.get("caso", "")
        ticket_id = int(asked) if asked.isdigit() else None
        views = await asyncio.to_thread(audit.views, ticket_id)
        return await render(
            request, "audit.html", views=views, ticket_id=ticket_id, limit=audit.LIMIT
        )

    @app.post("/coordinacion/operadores")
    @protected(accounts.COORDINATION)
    async def add_operator(request: Request):
        form = {"usuario": request.form.get("usuario", ""), "rol": request.form.get("rol", "")}
        password = request.form.get("clave", "")
        if password != request.form.get("clave2", ""):
            return await coordination_page(request, 422, "password_mismatch", form)
        try:
            created = await asyncio.to_thread(
                accounts.create, form["usuario"], password, form["rol"]
            )
        except accounts.AccountError as exc:
            return await coordination_page(request, 422, exc.code, form)
        await flash(request, "ok", "operator_created", username=created["username"])
        return see_other("/coordinacion")

    async def set_active(request: Request, operator_id: int, active: bool):
        if operator_id == request.ctx.user["id"]:
            await flash(request, "error", "self_deactivate")
            return see_other("/coordinacion")
        changed = await asyncio.to_thread(accounts.set_active, operator_id, active)
        if changed is None:
            return await render(request, "error.html", 404, code="missing_operator")
        released = (
            0 if active else await asyncio.to_thread(tickets.release_all, changed["username"])
        )
        await flash(
            request,
            "ok",
            "operator_activated" if active else "operator_deactivated",
            username=changed["username"],
            released=released,
        )
        return see_other("/coordinacion")

    @app.post("/coordinacion/operadores/<operator_id:int>/desactivar")
    @protected(accounts.COORDINATION)
    async def deactivate(request: Request, operator_id: int):
        return await set_active(request, operator_id, False)

    @app.post("/coordinacion/operadores/<operator_id:int>/activar")
    @protected(accounts.COORDINATION)
    async def activate(request: Request, operator_id: int):
        return await set_active(request, operator_id, True)

    # --- People's rights (written requests) -----------------------------------

    def named_person(request: Request) -> tuple[Optional[str], Optional[str]]:
        """The sender id the request's form names, or why there is none."""
        try:
            return rights.sender_of(request.form.get("persona", "")), None
        except ValueError:
            return None, "empty"
        except pseudonyms.MissingSecret:
            return None, "no_secret"

    async def person_page(request: Request, confirm: bool = False):
        """The person a request names and what is stored about them; `confirm` asks
        once more before erasing."""
        sender_id, error = named_person(request)
        if error:
            return await render(request, "person.html", 422, error=error)
        found = await asyncio.to_thread(rights.summary, sender_id)
        return await render(
            request, "person.html", sender_id=sender_id, summary=found, confirm=confirm
        )

    @app.post("/coordinacion/personas")
    @protected(accounts.COORDINATION)
    async def find_person(request: Request):
        return await person_page(request)

    @app.post("/coordinacion/personas/exportar")
    @protected(accounts.COORDINATION)
    async def export_person(request: Request):
        sender_id, error = named_person(request)
        if error:
            return await person_page(request)
        data = await asyncio.to_thread(rights.export, sender_id)
        logger.info("%s exported one person's data", request.ctx.user["username"])
        day = hours.local_now(cfg, clock()).strftime("%Y%m%d")
        return response.raw(
            json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8"),
            content_type="application/json; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="datos-persona-{day}.json"'},
        )

    @app.post("/coordinacion/personas/borrar")
    @protected(accounts.COORDINATION)
    async def erase_person(request: Request):
        if request.form.get("confirmar") != "si":
            return await person_page(request, confirm=True)
        sender_id, error = named_person(request)
        if error:
            return await person_page(request)
        await asyncio.to_thread(erasure.erase_now, sender_id)
        logger.info("%s erased one person's data", request.ctx.user["username"])
        await flash(request, "ok", "person_erased")
        return see_other("/coordinacion")

    kit = pages.Kit(cfg, clock, render, flash, see_other, protected)
    for page in pages.ALL:
        page.register(app, kit)
    return app


def backlog() -> metrics.Backlog:
    """What waits for the operators and for Rasa, read at each scrape of the metrics."""
    counts, oldest = tickets.backlog()
    waiting, inbox_oldest = whatsapp_store.backlog()
    return metrics.Backlog(counts, oldest, waiting, inbox_oldest, hours.is_open())


def main() -> None:
    logs.install(tensorflow=False)
    cfg = config.settings
    db.migrate()
    # Rasa registers the WhatsApp sender in its own process; the console is another.
    outbound.register("whatsapp", cloud.WhatsAppOutbound.from_settings())
    metrics.watch(backlog)
    metrics.serve()
    create_app().run(host=cfg.console_host, port=cfg.console_port, access_log=False)
