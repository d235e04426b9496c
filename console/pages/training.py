"""The trainers' page (/entrenamiento): start a test or a publish, follow it, read the
history of test runs, restore the previous model, and the answers due for review.

The job runs in its own process (line.training.job); this page only starts it and reads
its row, so a reload shows the same progress as the small script that polls
/entrenamiento/estado.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

from sanic import response
from sanic.request import Request

from line.content import provenance
from line.core import topics
from line.handoff import accounts, hours
from line.training import gate, history, job, models, runs

MODES = {"probar": runs.TEST, "publicar": runs.PUBLISH}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _state(run) -> dict:
    if run is None:
        return {"running": False}
    return {
        "running": run["status"] == runs.RUNNING,
        "id": run["id"],
        "kind": run["kind"],
        "status": run["status"],
        "step": run["step"],
        "percent": run["percent"],
        "log": run["log_tail"],
    }


def register(app, kit) -> None:
    async def page(request: Request, status: int = 200, error: str = "", shown=None):
        cfg = kit.cfg
        current = await asyncio.to_thread(runs.current)
        past = await asyncio.to_thread(runs.history)
        if shown is None:  # the latest run that tested a candidate to the end
            shown = next(iter(reversed(history.tested(past))), None)
        due = await asyncio.to_thread(provenance.due, hours.local_now(cfg, kit.clock()).date())
        results = (shown or {}).get("results") or {}
        return await kit.render(
            request,
            "training.html",
            status,
            current=current,
            past=past,
            shown=shown,
            table=gate.table(results.get("before") or {}, results.get("after") or {})
            if results.get("after")
            else [],
            chart=history.chart(past),
            due=due,
            titles=topics.faq_titles(),
            can_restore=models.previous_of(cfg.served_model).exists(),
            error=error,
            max_drop_points=round(gate.MAX_FAQ_DROP * 100),
        )

    @app.get("/entrenamiento")
    @kit.protected(accounts.TRAINING)
    async def training(request: Request):
        return await page(request)

    @app.get("/entrenamiento/corridas/<run_id:int>")
    @kit.protected(accounts.TRAINING)
    async def one_run(request: Request, run_id: int):
        shown = await asyncio.to_thread(runs.get, run_id)
        if shown is None:
            return await page(request, 404, "missing_run")
        return await page(request, shown=shown)

    @app.get("/entrenamiento/estado")
    @kit.protected(accounts.TRAINING)
    async def state(request: Request):
        return response.json(_state(await asyncio.to_thread(runs.current)))

    async def launch(request: Request, kind: str):
        try:
            await asyncio.to_thread(
                job.launch, kind, request.ctx.user["username"], _utc(kit.clock())
            )
        except runs.Busy:
            return await page(request, 409, "busy")
        except OSError:
            return await page(request, 500, "not_started")
        return kit.see_other("/entrenamiento")

    @app.post("/entrenamiento/iniciar")
    @kit.protected(accounts.TRAINING)
    async def start(request: Request):
        kind = MODES.get(request.form.get("modo", ""))
        if kind is None:
            return await page(request, 422, "mode")
        return await launch(request, kind)

    @app.post("/entrenamiento/restaurar")
    @kit.protected(accounts.TRAINING)
    async def restore(request: Request):
        if not models.previous_of(kit.cfg.served_model).exists():
            return await page(request, 409, "no_previous")
        return await launch(request, runs.ROLLBACK)
