"""The Rasa server's metrics port (line/core/metrics.py), opened from credentials.yml.

Rasa lets the line add to its server only through input channels, so this one takes no
messages: its blueprint starts the metrics port in Rasa's main process, before any Sanic
worker starts, on LINE_METRICS_PORT (0: none), apart from Rasa's own port, which the
Ingress partly exposes. With several workers (SANIC_WORKERS) their figures add up
through prometheus_client's multiprocess mode, which needs PROMETHEUS_MULTIPROC_DIR.
"""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint

from line.core import metrics
from line.core import settings as config

logger = logging.getLogger(__name__)


class MetricsInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "metrics"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("line_metrics")

        @blueprint.listener("main_process_start")
        async def serve(*_: Any) -> None:
            s = config.settings
            if s.sanic_workers > 1 and not s.metrics_multiprocess_dir:
                logger.error(
                    "%d Sanic workers and no PROMETHEUS_MULTIPROC_DIR: the metrics port "
                    "shows none of their turns",
                    s.sanic_workers,
                )
            metrics.forget_stale_workers()
            metrics.serve()

        @blueprint.listener("after_server_stop")
        async def stopped(*_: Any) -> None:
            metrics.worker_stopped()

        return blueprint
