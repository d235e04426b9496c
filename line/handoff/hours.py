"""Operator working hours, so a person in the queue knows when a human answers.

Settings are read at call time (LINE_OPERATOR_*, LINE_UTC_OFFSET); `current_time` is the
one clock, which tests replace."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

from line.core import settings as config
from line.core.settings import Settings


def current_time() -> datetime:
    return datetime.now(timezone.utc)


def _working_days(spec: str) -> set[int]:
    """'0-5' or '0,1,2' (Monday is 0) -> set of weekdays."""
    days: set[int] = set()
    for part in spec.split(","):
        start, _, end = part.strip().partition("-")
        if start.isdigit():
            days.update(range(int(start), int(end or start) + 1))
    return days


def local_now(cfg: Optional[Settings] = None, now: Optional[datetime] = None) -> datetime:
    cfg = cfg or config.settings
    tz = timezone(timedelta(hours=cfg.utc_offset_hours))
    return (now or current_time()).astimezone(tz)


def is_open(now: Optional[datetime] = None, cfg: Optional[Settings] = None) -> bool:
    cfg = cfg or config.settings
    local = local_now(cfg, now)
    return (
        local.weekday() in _working_days(cfg.operator_days)
        and cfg.operator_open_hour <= local.hour < cfg.operator_close_hour
    )


def next_opening(now: Optional[datetime] = None, cfg: Optional[Settings] = None) -> datetime:
    """The next moment operators start answering (local time)."""
    cfg = cfg or config.settings
    local = local_now(cfg, now)
    days = _working_days(cfg.operator_days) or set(range(7))
    for ahead in range(8):
        day = (local + timedelta(days=ahead)).replace(
            hour=cfg.operator_open_hour, minute=0, second=0, microsecond=0
        )
        if day.weekday() in days and day > local:
            return day
    raise ValueError("operator hours never open")
