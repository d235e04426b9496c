"""The broadcast sender: `python -m line.alerts.worker` (`make broadcast-worker`).

It starts approved broadcasts when their time comes (never in the quiet hours), drains
their queue through a token bucket at ALERTS_RATE messages a second with up to
ALERTS_CONCURRENCY messages in flight, keeps under the number's daily tier, and halts a
broadcast by itself when too many of its last messages failed. Any number of senders may
run at once, on SQLite or PostgreSQL: the queue's conditional updates (broadcasts.py) give
each row to one of them. Everything that waits takes a `Clock`, which tests replace.
"""

from __future__ import annotations

import logging
import math
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Mapping, Optional

from sqlalchemy.exc import SQLAlchemyError

from line.alerts import broadcasts, templates
from line.alerts.templates import Template
from line.core import metrics
from line.core import settings as config
from line.core.db import DatabaseUnavailable, utc_now
from line.handoff import outbound
from line.privacy import logs
from line.whatsapp import store
from line.whatsapp.cloud import GraphClient

logger = logging.getLogger(__name__)

# Rows claimed at a time: about a second of sending, and never more than this.
MAX_BATCH = 200
# How often a sender deletes what is past retention (broadcasts.purge).
PURGE_EVERY = timedelta(hours=1)
DB_ERRORS = (DatabaseUnavailable, SQLAlchemyError)


class Clock:
    """Wall time for quiet hours and leases, monotonic time and sleep for the rate."""

    def now(self) -> datetime:
        return utc_now()

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class TokenBucket:
    """At most `rate` messages a second on average, with bursts of a tenth of a second's
    worth at most (at least one message)."""

    def __init__(self, rate: float, clock: Clock):
        if rate <= 0:
            raise ValueError("ALERTS_RATE must be above 0")
        self.rate = rate
        self.capacity = max(1.0, rate / 10)
        self.clock = clock
        self.tokens = self.capacity
        self.last = clock.monotonic()

    def take(self) -> None:
        while True:
            now = self.clock.monotonic()
            self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
            self.last = now
            # A hair under one token is one: a sleep that short may not move the clock.
            if self.tokens >= 1 - 1e-9:
                self.tokens = max(0.0, self.tokens - 1)
                return
            self.clock.sleep((1 - self.tokens) / self.rate)


@dataclass(frozen=True)
class Outcome:
    """What became of one message: `kind` is how it went (template or text), `skipped`
    that the person could not be reached at all."""

    ok: bool
    kind: Optional[str] = None
    reason: Optional[str] = None
    message_id: Optional[str] = None
    skipped: bool = False


class WhatsAppChannel:
    """A template outside the person's 24-hour window, the same words as text inside it.
    One Graph client per thread: their HTTP sessions are not shared."""

    def __init__(self, client: Callable[[], GraphClient] = GraphClient.from_settings):
        self._client = client
        self._local = threading.local()

    def send(
        self, pseudonym: str, template: Template, values: Mapping[str, str], now: datetime
    ) -> Outcome:
        person = store.contact(pseudonym)
        if person is None:
            return Outcome(False, reason="no_contact", skipped=True)
        if person.within_window(now):
            kind = broadcasts.TEXT
            content = {"type": "text", "text": {"body": template.render(values)}}
        else:
            kind, content = broadcasts.TEMPLATE, template.payload(values)
        if not hasattr(self._local, "client"):
            self._local.client = self._client()
        delivery = self._local.client.send(person.phone, content)
        return Outcome(delivery.ok, kind, delivery.reason, delivery.message_id)


class RestChannel:
    """The REST channel has no push: the rendered text waits in its outbox (tests)."""

    def send(
        self, pseudonym: str, template: Template, values: Mapping[str, str], now: datetime
    ) -> Outcome:
        delivery = outbound.deliver("rest", pseudonym, template.render(values))
        return Outcome(delivery.ok, broadcasts.TEXT, delivery.reason)


def tier(cfg=None) -> int:
    cfg = cfg or config.settings
    if cfg.alerts_daily_cap not in broadcasts.TIERS:
        raise ValueError(
            f"ALERTS_TIER must be the number's messaging tier, one of "
            f"{', '.join(str(t) for t in broadcasts.TIERS)} (it is {cfg.alerts_daily_cap})"
        )
    return cfg.alerts_daily_cap


class Worker:
    def __init__(
        self,
        channels: Optional[Mapping[str, object]] = None,
        clock: Optional[Clock] = None,
        register: Optional[Mapping[str, Template]] = None,
        cfg=None,
    ):
        self.cfg = cfg or config.settings
        self.clock = clock or Clock()
        self.channels = channels or {"whatsapp": WhatsAppChannel(), "rest": RestChannel()}
        self.register = register if register is not None else templates.load()
        self.cap = tier(self.cfg)
        self.bucket = TokenBucket(self.cfg.alerts_rate_per_second, self.clock)
        self.lease = timedelta(seconds=self.cfg.alerts_lease_seconds)
        self.batch = max(1, min(MAX_BATCH, math.ceil(self.cfg.alerts_rate_per_second)))
        self.pool = ThreadPoolExecutor(self.cfg.alerts_concurrency, "broadcast")
        self.in_flight = threading.BoundedSemaphore(self.cfg.alerts_concurrency)
        self.stop = threading.Event()
        self._capped = False
        self._purged: Optional[datetime] = None

    def run(self) -> None:
        """Until `stop` is set: work while there is work, else look again now and then."""
        try:
            while not self.stop.is_set():
                try:
                    worked = self.run_once()
                except DB_ERRORS as exc:
                    logger.error("broadcast sender: database unavailable (%s)", type(exc).__name__)
                    worked = False
                if not worked:
                    self.stop.wait(self.cfg.alerts_poll_seconds)
        finally:
            self.pool.shutdown(wait=True)

    def run_once(self) -> bool:
        """One batch of one broadcast; False when there was nothing to send now."""
        now = self.clock.now()
        if self._purged is None or now - self._purged >= PURGE_EVERY:
            broadcasts.purge(now, self.cfg.privacy_delete_after_days)
            self._purged = now
        for _ in broadcasts.start_due(now):
            metrics.broadcast("started")
        if broadcasts.quiet(now, self.cfg):
            return False
        for broadcast_id in broadcasts.sending():
            broadcasts.expire(broadcast_id, now)
            room = self.cap - broadcasts.templates_used_today(now)
            if room <= 0:
                if not self._capped:
                    logger.warning("broadcasts wait: the daily tier of %d is reached", self.cap)
                self._capped = True
                return False
            self._capped = False
            token, rows = broadcasts.claim(broadcast_id, min(self.batch, room), self.lease, now)
            if not rows:
                if broadcasts.complete_if_drained(broadcast_id, now):
                    metrics.broadcast("finished")
                continue
            self._send(broadcast_id, token, rows)
            if broadcasts.failing(
                broadcast_id, self.cfg.alerts_failure_share, self.cfg.alerts_failure_window
            ) and broadcasts.halt(broadcast_id, broadcasts.TOO_MANY_FAILURES):
                metrics.broadcast("failed")
                logger.error("broadcast %d halted: too many messages failed", broadcast_id)
            return True
        return False

    def _send(self, broadcast_id: int, token: str, rows: list) -> None:
        row = broadcasts.get(broadcast_id)
        template = self.register.get(row.template)
        if template is None:
            broadcasts.release(token)
            if broadcasts.halt(broadcast_id, broadcasts.TEMPLATE_GONE):
                metrics.broadcast("failed")
                logger.error("broadcast %d halted: its template left the register", broadcast_id)
            return
        values = broadcasts.values_of(row)
        stopped = threading.Event()
        futures = []
        for recipient in rows:
            if stopped.is_set() or self.stop.is_set():
                break
            self.bucket.take()
            if broadcasts.quiet(self.clock.now(), self.cfg):
                break  # the quiet hours began while this batch waited for the rate
            self.in_flight.acquire()
            future = self.pool.submit(self._one, recipient, token, template, values, stopped)
            future.add_done_callback(lambda _: self.in_flight.release())
            futures.append(future)
        wait(futures)
        broadcasts.release(token)
        metrics.broadcast_pending(broadcasts.pending())

    def _one(self, recipient, token: str, template: Template, values, stopped) -> None:
        try:
            why_not = broadcasts.go(recipient.id, token, self.lease, self.clock.now())
            if why_not == "stopped":
                stopped.set()
            if why_not:
                return
            outcome = self.channels[recipient.channel].send(
                recipient.pseudonym, template, values, self.clock.now()
            )
            if outcome.skipped:
                broadcasts.skip(recipient.id, token, outcome.reason, self.clock.now())
                metrics.broadcast_message("skipped")
            else:
                broadcasts.finish(
                    recipient.id,
                    token,
                    outcome.ok,
                    outcome.kind,
                    outcome.reason,
                    outcome.message_id,
                    self.clock.now(),
                )
                metrics.broadcast_message("sent" if outcome.ok else "failed")
        except DB_ERRORS as exc:
            # The row's lease runs out: claimed, it is queued again; on its way, unconfirmed.
            logger.error("broadcast message not recorded: %s", type(exc).__name__)


def main() -> None:
    logs.install(tensorflow=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        worker = Worker()
    except (templates.TemplateFileError, ValueError) as exc:
        raise SystemExit(f"broadcast sender not started: {exc}") from exc
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: worker.stop.set())
    cfg = config.settings
    metrics.serve()
    logger.info(
        "broadcast sender: %.0f messages/s, %d in flight, daily tier %d, quiet %02d:00-%02d:00",
        cfg.alerts_rate_per_second,
        cfg.alerts_concurrency,
        worker.cap,
        cfg.alerts_quiet_start_hour,
        cfg.alerts_quiet_end_hour,
    )
    worker.run()


if __name__ == "__main__":
    main()
