"""A broadcast sender's clock that tests drive, and the real clock without quiet hours:
shared by the alerts tests, the WhatsApp end-to-end tests and the console's /avisos
browser test."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta

from line.alerts.worker import Clock
from line.core import settings as config

NO_QUIET_HOURS = {"alerts_quiet_start_hour": 0, "alerts_quiet_end_hour": 0}


def without_quiet_hours(monkeypatch) -> None:
    """For tests on the real clock (the webhook, the reply window): no quiet hours in the
    settings everything reads, so they pass at any hour of the day."""
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, **NO_QUIET_HOURS))


class FixedClock(Clock):
    """Time moves only when the sender sleeps (the token bucket) or a test moves it."""

    def __init__(self, at: datetime):
        self.start, self.elapsed = at, 0.0
        self.lock = threading.Lock()

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        return self.elapsed

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.elapsed += seconds

    def move(self, **delta) -> None:
        self.elapsed += timedelta(**delta).total_seconds()
