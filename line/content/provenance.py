"""When each answer must be checked again: `make content-due` and the coordinator page.

Each topic file records under its intent's `metadata` where the answer's facts come from
(`sources`), when and by whom they were checked (`verified_on`, `verified_by`) and the day
they must be checked again (`review_by`; docs/content.md). Listing the answers whose day
has passed or comes within 30 days lets a review be planned before an answer goes stale.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Optional

from line.core import settings as config
from line.core import topics

DUE_WITHIN_DAYS = 30


def as_date(value: Any) -> Optional[date]:
    """A YAML date (2026-12-05, unquoted or quoted), else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class Due:
    """An answer to review: `days_left` is negative once its review day has passed."""

    topic: str
    title: str
    review_by: date
    days_left: int


def due(
    today: date, within_days: int = DUE_WITHIN_DAYS, faq_dir: Optional[Path] = None
) -> list[Due]:
    """Answers whose `review_by` has passed or falls within `within_days`, the most
    urgent first. An answer without a readable `review_by` is due at once (`make
    validate` says what to fix)."""
    rows = []
    for topic, metadata in topics.faq_metadata(faq_dir or config.settings.faq_dir).items():
        review_by = as_date(metadata.get("review_by")) or today
        days_left = (review_by - today).days
        if days_left <= within_days:
            rows.append(Due(topic, str(metadata.get("title") or topic), review_by, days_left))
    return sorted(rows, key=lambda row: (row.review_by, row.topic))


def local_today() -> date:
    """Today in the line's time zone (Peru)."""
    return datetime.now(timezone(timedelta(hours=config.settings.utc_offset_hours))).date()


def describe(row: Due) -> str:
    """One line for the content team."""
    if row.days_left < 0:
        when = f"{-row.days_left} day(s) late"
    elif row.days_left == 0:
        when = "due today"
    else:
        when = f"{row.days_left} day(s) left"
    return f"  {row.topic} ({row.title}): review by {row.review_by.isoformat()}, {when}"


def main() -> int:
    """Prints the answers to review; always exits 0 (a reminder, not a failure)."""
    rows = due(local_today())
    if not rows:
        print(f"No answer is due for review in the next {DUE_WITHIN_DAYS} days.")
        return 0
    print(f"{len(rows)} answer(s) to review (review_by passed or within {DUE_WITHIN_DAYS} days):")
    for row in rows:
        print(describe(row))
    print(
        "\nA review: open each source again, update the answer if needed, set a new "
        "verified_on and review_by (docs/content.md), `make validate`, then "
        "`make train-content`."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
