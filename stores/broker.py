"""Rasa's RabbitMQ event broker, made so RabbitMQ being down never stops the line.

Rasa's own, when RabbitMQ is unreachable at start, tries 20 times 5 s and then fails
the start of Rasa; and until it has connected it drops every event without a word
(`_publish` returns when there is no exchange). When the connection drops mid-run,
aio-pika reconnects by itself and Rasa keeps the events that failed in memory and
publishes them again on reconnection; that part is kept.

Here the first connection is tried once; if RabbitMQ is down Rasa starts anyway and
this keeps trying every BROKER_RETRY_SECONDS in the background. Every event that
cannot be published yet waits in memory (at most BROKER_BUFFER_EVENTS; beyond that the
oldest are dropped and logged) and goes out, oldest first, once RabbitMQ takes events
again. Delivery is at least once: an event whose confirmation was cut off is sent
again. Events waiting in memory are lost if Rasa stops before RabbitMQ is back; the
tracker store has them all (docs/failures.md).

`RedactingPikaEventBroker`, the one endpoints.production.yml names, also takes the
personal data out of every event before it is kept or sent (line/privacy/events.py,
docs/privacy.md "Redacted at once").
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any, Dict, Optional, Text

from rasa.core.brokers.pika import PikaEventBroker
from rasa.shared.core.events import BotUttered, SlotSet, UserUttered

from components import rasa_compat
from line.core import metrics
from line.core import settings as config
from line.privacy.events import Said, redact_event
from stores.retry import reason

logger = logging.getLogger(__name__)

# Rasa's connecting and publishing, re-implemented here (checked against the installed Rasa).
BUFFERING = tuple(
    rasa_compat.Replaced(
        "broker that waits for RabbitMQ (stores/broker.py)", PikaEventBroker, name, digest
    )
    for name, digest in (("connect", "8a66ba6cd694cede"), ("_publish", "9f76ab9c1448db88"))
)
# The redacting broker relies on every event passing `publish`, and on the events' form
# (line/privacy/events.py reads it): checked the same way.
REDACTION = "events redacted before RabbitMQ (stores/broker.py, line/privacy/events.py)"
REDACTING = (
    rasa_compat.Replaced(REDACTION, PikaEventBroker, "publish", "78f33402fd8cd8d8"),
    rasa_compat.Replaced(REDACTION, UserUttered, "as_dict", "41fba9114a9f5cd7"),
    rasa_compat.Replaced(REDACTION, BotUttered, "as_dict", "5d65b5230ff95c48"),
    rasa_compat.Replaced(REDACTION, SlotSet, "as_dict", "eccfb36fb32450aa"),
)
REPLACED = BUFFERING + REDACTING


class BufferedPikaEventBroker(PikaEventBroker):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        rasa_compat.check(*BUFFERING)
        # One attempt per connect: the retrying is done here, in the background.
        kwargs.update(connection_attempts=1, retry_delay_in_seconds=0)
        super().__init__(*args, **kwargs)
        self._unpublished_events = deque(maxlen=config.settings.broker_buffer_events)
        self._connecting: Optional[asyncio.Task] = None

    async def connect(self) -> None:
        try:
            await super().connect()
        except Exception as exc:
            metrics.broker_error("unreachable")
            logger.error(
                "RabbitMQ unreachable at %s:%s (%s): Rasa starts without it, events wait in memory",
                self.host,
                self.port,
                reason(exc),
            )
            self._connecting = self._loop.create_task(self._connect_until_up())

    async def _connect_until_up(self) -> None:
        while True:
            await asyncio.sleep(config.settings.broker_retry_seconds)
            try:
                await super().connect()
            except Exception:
                metrics.broker_error("unreachable")
                continue
            logger.warning(
                "RabbitMQ reachable: publishing %d events kept meanwhile",
                len(self._unpublished_events),
            )
            self._publish_unpublished_messages()
            metrics.broker_waiting(self.waiting)
            return

    async def _publish(
        self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None
    ) -> None:
        if self._exchange is not None:
            try:
                await self._exchange.publish(self._message(event, headers), "")
            except Exception as exc:
                logger.debug("event kept for RabbitMQ: %s", reason(exc))
            else:
                # Events kept while RabbitMQ was away go out at the latest now, even if
                # the reconnection callback came before the channel was back.
                self._publish_unpublished_messages()
                metrics.broker_waiting(self.waiting)
                return
        metrics.broker_error("publish")
        if len(self._unpublished_events) == self._unpublished_events.maxlen:
            metrics.broker_error("dropped")
            logger.error(
                "%d events wait for RabbitMQ: the oldest is dropped", len(self._unpublished_events)
            )
        self._unpublished_events.append(event)
        metrics.broker_waiting(self.waiting)

    @property
    def waiting(self) -> int:
        """Events kept in memory until RabbitMQ takes them."""
        return len(self._unpublished_events)

    @property
    def in_flight(self) -> int:
        """Events being published right now."""
        return len(self._background_tasks)

    @property
    def connected(self) -> bool:
        return (
            self._exchange is not None
            and self._connection is not None
            and not self._connection.is_closed
        )

    async def close(self) -> None:
        if self._connecting:
            self._connecting.cancel()
        if self._unpublished_events:
            logger.error(
                "%d events never reached RabbitMQ (the tracker store has them)",
                len(self._unpublished_events),
            )
        await super().close()


class RedactingPikaEventBroker(BufferedPikaEventBroker):
    """The buffered broker, publishing events without personal data: what waits in
    memory for RabbitMQ is already redacted."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        rasa_compat.check(*REDACTING)
        super().__init__(*args, **kwargs)
        self._said = Said()

    def publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        super().publish(redact_event(event, self._said), headers)
