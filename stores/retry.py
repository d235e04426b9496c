"""One short retry window per service, shared by the stores of this package."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Callable, Tuple, Type

logger = logging.getLogger(__name__)


def reason(exc: BaseException) -> str:
    """The first line of an error: enough for an operator, no query text or data."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class Retry:
    """Retries a call for `window` seconds while its service was healthy, so a restart
    goes unnoticed. Once the service failed, each call tries once until one succeeds:
    a long outage costs a message one quick attempt, not the whole window. Calls run in
    a worker thread, so a service that hangs holds that thread, not Rasa's event loop."""

    def __init__(
        self, service: str, errors: Tuple[Type[BaseException], ...], window: float
    ) -> None:
        self.service = service
        self.errors = errors
        self.window = window
        self.healthy = True

    async def run(self, function: Callable[..., Any], *args: Any) -> Any:
        deadline = time.monotonic() + (self.window if self.healthy else 0.0)
        delay = 0.1
        while True:
            try:
                result = await asyncio.to_thread(function, *args)
            except self.errors as exc:
                if time.monotonic() + delay > deadline:
                    if self.healthy:
                        logger.error("%s unavailable: %s", self.service, reason(exc))
                    self.healthy = False
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
            else:
                if not self.healthy:
                    logger.warning("%s reachable again", self.service)
                self.healthy = True
                return result
