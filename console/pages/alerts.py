"""/avisos: coordinators compose, approve and follow broadcasts to people who asked for alerts.

Everything a broadcast may or may not do is decided by `line.alerts` (quiet hours, the
second coordinator, cancel before it starts, pause while it runs); this module reads the
form, shows the count and the preview before anything is stored, and renders. Progress is
on the page at each load, and as JSON at /avisos/estado for the small script that follows
it without reloading.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Optional

from sanic import response
from sanic.request import Request

from line.alerts import broadcasts, subscriptions, templates
from line.alerts.broadcasts import AlertError, Draft
from line.alerts.subscriptions import Audience, SubscriptionError
from line.alerts.templates import ParameterError, TemplateFileError
from line.core import topics
from line.handoff import accounts

PATH, COUNT_PATH, STATE_PATH = "/avisos", "/avisos/contar", "/avisos/estado"
# The send time as a datetime-local input gives it, in the line's local time.
TIME_FORMAT = "%Y-%m-%dT%H:%M"
# Broadcasts whose progress still moves: the script follows the page while there is one.
LIVE = (broadcasts.APPROVED, broadcasts.SENDING, broadcasts.PAUSED)
# Status codes of the refusals: a conflict with the broadcast's state, or a form to correct.
CONFLICTS = {
    "own_broadcast",
    "not_awaiting_approval",
    "already_started",
    "not_sending",
    "not_paused",
}
ACTIONS = {"aprobar": "approve", "cancelar": "cancel", "pausar": "pause", "reanudar": "resume"}


@dataclass
class Form:
    """What the compose form holds, kept whole when it is sent back with an error."""

    template: str = ""
    values: dict = field(default_factory=dict)
    regions: list = field(default_factory=list)
    topics: list = field(default_factory=list)
    send_at: str = ""

    @property
    def audience(self) -> Audience:
        return Audience(tuple(self.regions), tuple(self.topics))


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _progress(stats: broadcasts.Statistics) -> dict:
    """What the bar shows: the share of the audience no longer waiting."""
    done = max(0, stats.audience - stats.waiting)
    percent = round(100 * done / stats.audience) if stats.audience else 0
    return {
        "id": stats.broadcast_id,
        "status": stats.status,
        "audience": stats.audience,
        "waiting": stats.waiting,
        "done": done,
        "percent": percent,
        "sent": stats.sent,
        "delivered": stats.delivered,
        "read": stats.read,
        "failed": stats.failed,
        "replies_24h": stats.replies_24h,
        "opt_outs_24h": stats.opt_outs_24h,
    }


def _listing() -> dict:
    """The broadcasts, the halted ones first, with their figures; read in one thread."""
    halted = broadcasts.needing_attention()
    rows = [row for row in broadcasts.recent() if row.status != broadcasts.HALTED]
    shown = halted + rows
    return {
        "halted_ids": {row.id for row in halted},
        "rows": [
            {
                "row": row,
                "audience": broadcasts.audience_of(row),
                "values": broadcasts.values_of(row),
                "progress": _progress(broadcasts.statistics(row.id)),
            }
            for row in shown
        ],
    }


def _state() -> dict:
    """The JSON the page's script polls: every broadcast that may still move."""
    live = [row for row in broadcasts.recent() if row.status in LIVE + (broadcasts.HALTED,)]
    return {
        "live": any(row.status in LIVE for row in live),
        "broadcasts": [_progress(broadcasts.statistics(row.id)) for row in live],
    }


def register(app, kit) -> None:
    offset = timedelta(hours=kit.cfg.utc_offset_hours)

    def local(moment: datetime) -> datetime:
        """Naive UTC to the line's local time, naive."""
        return moment + offset

    def default_send_at() -> str:
        """The next whole quarter hour outside the quiet hours, in local time."""
        now = _utc(kit.clock())
        moment = now.replace(second=0, microsecond=0) + timedelta(minutes=15 - now.minute % 15)
        return local(broadcasts.quiet_ends(moment)).strftime(TIME_FORMAT)

    def read_form(request: Request, register: dict) -> Form:
        chosen = request.form.get("plantilla", "")
        template = register.get(chosen)
        values = {}
        if template is not None:
            values = {
                name: request.form.get(f"valor_{chosen}_{name}", "") for name in template.parameters
            }
        return Form(
            template=chosen,
            values=values,
            regions=request.form.getlist("region") or [],
            topics=request.form.getlist("tema") or [],
            send_at=request.form.get("hora", "").strip(),
        )

    def send_at_of(form: Form) -> datetime:
        """The form's local time as naive UTC; AlertError when it is not a time."""
        try:
            moment = datetime.strptime(form.send_at, TIME_FORMAT)
        except ValueError:
            raise AlertError("send_at_invalid") from None
        return moment - offset

    def check(form: Form, register: dict) -> dict:
        """The count, the rendered text and the send time's problem, if any, before
        anything is stored: what the "Contar y ver" step shows."""
        if form.template not in register:
            raise ParameterError("unknown_template", form.template)
        template = register[form.template]
        subscriptions.check_places(form.topics, form.regions)
        text = template.render(form.values)
        at = send_at_of(form)
        if broadcasts.quiet(at, kit.cfg):
            raise AlertError("quiet_hours")
        return {"count": subscriptions.count(form.audience), "text": text, "at": at}

    async def page(
        request: Request,
        status: int = 200,
        form: Optional[Form] = None,
        error: Optional[Exception] = None,
        checked: Optional[dict] = None,
    ):
        try:
            register = await asyncio.to_thread(templates.load)
            broken = ""
        except TemplateFileError as exc:
            register, broken = {}, str(exc)
        listing = await asyncio.to_thread(_listing)
        form = form or Form(template=next(iter(register), ""), send_at=default_send_at())
        return await kit.render(
            request,
            "alerts.html",
            status,
            form=form,
            error=error,
            checked=checked,
            broken=broken,
            register=register,
            regions=topics.contract()["regions"],
            topic_ids=topics.answered_topic_ids(),
            titles=topics.faq_titles(),
            live=any(item["row"].status in LIVE for item in listing["rows"]),
            me=request.ctx.user["username"],
            quiet=(kit.cfg.alerts_quiet_start_hour, kit.cfg.alerts_quiet_end_hour),
            **listing,
        )

    def refused_status(exc: Exception) -> int:
        code = getattr(exc, "code", "")
        if code == "unknown_broadcast":
            return 404
        return 409 if code in CONFLICTS else 422

    @app.get(PATH)
    @kit.protected(accounts.COORDINATION)
    async def alerts(request: Request):
        return await page(request)

    @app.get(STATE_PATH)
    @kit.protected(accounts.COORDINATION)
    async def state(request: Request):
        return response.json(await asyncio.to_thread(_state))

    @app.post(COUNT_PATH)
    @kit.protected(accounts.COORDINATION)
    async def count(request: Request):
        """ "Contar y ver": the count and the preview, nothing stored."""
        return await compose(request, store=False)

    @app.post(PATH)
    @kit.protected(accounts.COORDINATION)
    async def create(request: Request):
        """ "Pedir aprobación": stored, awaiting a second coordinator."""
        return await compose(request, store=True)

    async def compose(request: Request, store: bool):
        """Any error sends the form back whole. (Two form actions, not a button's value:
        a browser leaves out the value of a button the page disables as it submits.)"""
        try:
            register = await asyncio.to_thread(templates.load)
        except TemplateFileError:
            return await page(request, 500)
        form = read_form(request, register)
        try:
            checked = await asyncio.to_thread(check, form, register)
        except (AlertError, ParameterError, SubscriptionError) as exc:
            return await page(request, refused_status(exc), form, exc)
        if not store:
            return await page(request, form=form, checked=checked)
        draft = Draft(
            request.ctx.user["username"],
            form.template,
            form.values,
            checked["at"],
            tuple(form.regions),
            tuple(form.topics),
        )
        try:
            broadcast_id = await asyncio.to_thread(broadcasts.create, draft, _utc(kit.clock()))
        except (AlertError, ParameterError, SubscriptionError) as exc:
            return await page(request, refused_status(exc), form, exc, checked)
        await kit.flash(request, "ok", "broadcast_created", broadcast=broadcast_id)
        return kit.see_other(f"{PATH}#aviso-{broadcast_id}")

    @app.post(f"{PATH}/<broadcast_id:int>/<action:str>")
    @kit.protected(accounts.COORDINATION)
    async def change(request: Request, broadcast_id: int, action: str):
        if action not in ACTIONS:
            return await page(request, 404, error=AlertError("unknown_action"))
        now = _utc(kit.clock())
        user = request.ctx.user["username"]
        calls = {
            "approve": lambda: broadcasts.approve(broadcast_id, user, now),
            "cancel": lambda: broadcasts.cancel(broadcast_id, now),
            "pause": lambda: broadcasts.pause(broadcast_id),
            "resume": lambda: broadcasts.resume(broadcast_id, now),
        }
        known = await asyncio.to_thread(broadcasts.get, broadcast_id)
        try:
            if known is None:
                raise AlertError("unknown_broadcast")
            await asyncio.to_thread(calls[ACTIONS[action]])
        except AlertError as exc:
            return await page(request, refused_status(exc), error=exc)
        await kit.flash(request, "ok", f"broadcast_{ACTIONS[action]}", broadcast=broadcast_id)
        return kit.see_other(f"{PATH}#aviso-{broadcast_id}")
