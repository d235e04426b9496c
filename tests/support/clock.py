"""A broadcast sender's clock that tests drive: shared by the alerts tests and the
console's /avisos browser test."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from line.alerts.worker import Clock


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
