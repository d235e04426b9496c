"""Operator working hours, so a person in the queue knows when a human answers."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from line.settings import Settings, settings as default_settings


def _working_days(spec: str) -> set[int]:
    """'0-5' or '0,1,2' (Monday is 0) -> set of weekdays."""
    days: set[int] = set()
    for part in spec.split(","):
        start, _, end = part.strip().partition("-")
        if start.isdigit():
            days.update(range(int(start), int(end or start) + 1))
    return days


def local_now(cfg: Settings = default_settings, now: datetime | None = None) -> datetime:
    tz = timezone(timedelta(hours=cfg.utc_offset_hours))
    return (now or datetime.now(timezone.utc)).astimezone(tz)


def is_open(now: datetime | None = None, cfg: Settings = default_settings) -> bool:
    local = local_now(cfg, now)
    return (local.weekday() in _working_days(cfg.operator_days)
            and cfg.operator_open_hour <= local.hour < cfg.operator_close_hour)


def next_opening(now: datetime | None = None, cfg: Settings = default_settings) -> datetime:
    """The next moment operators start answering (local time)."""
    local = local_now(cfg, now)
    days = _working_days(cfg.operator_days) or set(range(7))
    for ahead in range(8):
        day = (local + timedelta(days=ahead)).replace(
            hour=cfg.operator_open_hour, minute=0, second=0, microsecond=0)
        if day.weekday() in days and day > local:
            return day
    raise ValueError("operator hours never open")
