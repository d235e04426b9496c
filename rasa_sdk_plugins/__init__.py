"""The action server's guard and metrics, through rasa_sdk's plugin hook.

`rasa run actions` looks for a package of this name and lets it extend its Sanic app
(rasa_sdk/plugin.py), the only way in that rasa_sdk 3.6 offers: it has no
authentication of its own. Every call but /health is refused unless Rasa made it
(line/core/access.py: the shared secret, or a loopback caller when none is set).
Every log line is redacted from then on (line/privacy/logs.py). The metrics port opens
in the main process (LINE_METRICS_PORT, apart from the action server's own port), and
every call of /webhook is counted and timed by action (line/core/metrics.py). An action
is named only if the domain declares it; anything else is "other", so a stray caller
cannot add labels.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from typing import Any, Optional

import pluggy
import yaml
from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request

from line.core import access, metrics
from line.core import settings as config
from line.privacy import logs

logger = logging.getLogger(__name__)
hookimpl = pluggy.HookimplMarker("rasa_sdk")
WEBHOOK = "/webhook"
HEALTH = "/health"


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(ActionServerGuard())
    manager.register(ActionServerMetrics())


class ActionServerGuard:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        @app.on_request
        async def only_rasa(request: Request):
            if request.path == HEALTH or access.action_call_allowed(
                request.ip, request.headers.get(access.ACTION_TOKEN_HEADER)
            ):
                return None
            logger.warning(
                "action server refused %s %s from %s", request.method, request.path, request.ip
            )
            return response.json({"error": "forbidden"}, status=403)


class ActionServerMetrics:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        logs.install(tensorflow=False)
        domain = yaml.safe_load(config.settings.domain_file.read_text(encoding="utf-8"))
        metrics.know_actions(domain.get("actions") or [])

        @app.listener("main_process_start")
        async def serve(*_: Any) -> None:
            metrics.serve()

        @app.on_request
        async def started(request: Request) -> None:
            request.ctx.metrics_began = time.perf_counter()

        @app.on_response
        async def answered(request: Request, response) -> None:
            began = getattr(request.ctx, "metrics_began", None)
            if request.path == WEBHOOK and began is not None:
                metrics.action_called(
                    action_of(request), response.status, time.perf_counter() - began
                )


def action_of(request: Request) -> Optional[str]:
    """The action a call asked for (the body Sanic already parsed, or Rasa's deflated one)."""
    try:
        if request.headers.get("Content-Encoding") == "deflate":
            call = json.loads(zlib.decompress(request.body))
        else:
            call = request.json
    except (ValueError, zlib.error, SanicException):
        return None
    return call.get("next_action") if isinstance(call, dict) else None
