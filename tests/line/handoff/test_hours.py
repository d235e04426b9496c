"""Operator hours: Monday to Saturday 8:00-20:00 Peru time (UTC-5) by default."""

import dataclasses
from datetime import datetime, timezone

from line.core.settings import Settings
from line.handoff import hours


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


CFG = Settings()


def test_open_on_a_weekday_morning_in_lima():
    # Wednesday 25 Nov 2026, 14:00 UTC = 9:00 in Lima.
    assert hours.is_open(utc(2026, 11, 25, 14, 0), CFG)


def test_closed_at_night_and_on_sunday():
    assert not hours.is_open(utc(2026, 11, 26, 2, 0), CFG)  # 21:00 Wednesday in Lima
    assert not hours.is_open(utc(2026, 11, 29, 15, 0), CFG)  # Sunday 10:00 in Lima


def test_next_opening_skips_sunday():
    saturday_night = utc(2026, 11, 29, 2, 0)  # Saturday 21:00 in Lima
    opening = hours.next_opening(saturday_night, CFG)
    assert (opening.weekday(), opening.hour, opening.day) == (0, 8, 30)


def test_next_opening_later_the_same_morning():
    early = utc(2026, 11, 25, 11, 0)  # Wednesday 6:00 in Lima
    assert hours.next_opening(early, CFG).day == 25


def test_hours_come_from_settings():
    always = dataclasses.replace(
        CFG, operator_days="0-6", operator_open_hour=0, operator_close_hour=24
    )
    assert hours.is_open(utc(2026, 11, 29, 15, 0), always)
