"""The coordinators' figures, computed once for the console's /informes and `make report`.

Both read the feedback codes (`coding`), the 👍 / 👎 ratings (`ratings`) and the tickets
through these functions, narrowed by the same `Filters`, so the page and the report never
disagree. Feedback dates are the line's local days (coding stores them so); ratings and
tickets carry UTC times, turned into the same local days here. A rating has no region and
no type, a ticket no type: those filters leave them out rather than guess.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Mapping, Optional

from sqlalchemy import func, or_, select

from line.content import provenance
from line.core import settings as config
from line.core import topics
from line.core.db import session_scope, utc_now
from line.core.text import normalise
from line.directory.store import official_region
from line.feedback import coding, erasure, ratings
from line.feedback.coding import Feedback
from line.handoff.tickets import Ticket
from line.privacy import redact

# The page's query parameters, in the order of its form.
START, END, REGION, TOPIC, TYPE = "desde", "hasta", "region", "tema", "tipo"
FIELDS = (START, END, REGION, TOPIC, TYPE)
UNKNOWN = {REGION: "unknown_region", TOPIC: "unknown_topic", TYPE: "unknown_type"}
DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366  # longer ranges are cut: three years by month is already 37 bars
# A trend shows days up to a month, weeks up to half a year, months beyond.
DAY, WEEK, MONTH = "day", "week", "month"
DAYS_UP_TO, WEEKS_UP_TO = 31, 26 * 7
TOP_UNRESOLVED = 20
TOP_TOPICS = 15


@dataclass(frozen=True)
class Filters:
    """What the figures are narrowed to; None is "all". Dates are local days, both kept."""

    start: Optional[date] = None
    end: Optional[date] = None
    region: Optional[str] = None
    topic: Optional[str] = None
    feedback_type: Optional[str] = None

    def query(self) -> dict[str, str]:
        """The filters as the page's query parameters, for links that keep them."""
        values = {
            START: self.start.isoformat() if self.start else None,
            END: self.end.isoformat() if self.end else None,
            REGION: self.region,
            TOPIC: self.topic,
            TYPE: self.feedback_type,
        }
        return {name: value for name, value in values.items() if value}

    def utc_bounds(self) -> tuple[Optional[datetime], Optional[datetime]]:
        """The local days as naive UTC times, the end excluded (ratings and tickets)."""
        offset = timedelta(hours=config.settings.utc_offset_hours)
        since = datetime.combine(self.start, time()) - offset if self.start else None
        until = (
            datetime.combine(self.end + timedelta(days=1), time()) - offset if self.end else None
        )
        return since, until


@dataclass(frozen=True)
class Problem:
    """A filter that could not be used as written: `code` names the rule for the page."""

    code: str  # bad_date, reversed, too_long, unknown_region, unknown_topic, unknown_type
    field: str
    value: str


def regions() -> list[str]:
    return list(topics.contract()["regions"])


def topic_choices() -> list[str]:
    """Every topic a code can carry: answered topics (new topic files too), service
    categories, and the questions the line could not answer."""
    every = [
        *topics.answered_topic_ids(),
        *topics.faq_titles(),
        *topics.category_ids(),
        coding.UNRESOLVED,
    ]
    return list(dict.fromkeys(every))  # a service category may share a topic's id


def parse(args: Mapping[str, Optional[str]], today: date) -> tuple[Filters, list[Problem]]:
    """The filters of the page's form. What cannot be used is left out (a date falls back
    to the last DEFAULT_DAYS days) and said, never guessed at silently."""
    problems: list[Problem] = []

    def day(name: str, default: date) -> date:
        value = (args.get(name) or "").strip()
        if not value:
            return default
        try:
            return date.fromisoformat(value)
        except ValueError:
            problems.append(Problem("bad_date", name, value))
            return default

    end = day(END, today)
    start = day(START, end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        problems.append(Problem("reversed", START, start.isoformat()))
        start, end = end, start
    if (end - start).days >= MAX_DAYS:
        problems.append(Problem("too_long", START, start.isoformat()))
        start = end - timedelta(days=MAX_DAYS - 1)

    def choice(name: str, known) -> Optional[str]:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        found = known(value)
        if found is None:
            problems.append(Problem(UNKNOWN[name], name, value))
        return found

    topic_ids = set(topic_choices())
    filters = Filters(
        start,
        end,
        choice(REGION, official_region),
        choice(TOPIC, lambda value: value if value in topic_ids else None),
        choice(TYPE, lambda value: value if value in coding.TYPES else None),
    )
    return filters, problems


def _where(query, filters: Filters):
    if filters.start:
        query = query.where(Feedback.date >= filters.start)
    if filters.end:
        query = query.where(Feedback.date <= filters.end)
    if filters.region:
        query = query.where(Feedback.region == filters.region)
    if filters.topic:
        query = query.where(Feedback.topic == filters.topic)
    if filters.feedback_type:
        query = query.where(Feedback.feedback_type == filters.feedback_type)
    return query


def rows(filters: Filters) -> list[Feedback]:
    """The coded messages themselves, oldest first: the CSV's rows."""
    with session_scope() as session:
        query = _where(select(Feedback), filters).order_by(Feedback.date, Feedback.timestamp)
        return list(session.execute(query).scalars())


@dataclass(frozen=True)
class TopicRow:
    """One topic's questions: how many, how many the line did not resolve or handed to a
    person, and its 👍 / 👎 (None when the filters leave ratings out)."""

    topic: str
    total: int = 0
    unanswered: int = 0
    handed_off: int = 0
    useful: Optional[int] = None
    not_useful: Optional[int] = None

    @property
    def unanswered_share(self) -> Optional[float]:
        return self.unanswered / self.total if self.total else None

    @property
    def handed_off_share(self) -> Optional[float]:
        return self.handed_off / self.total if self.total else None

    @property
    def rated(self) -> int:
        return (self.useful or 0) + (self.not_useful or 0)

    @property
    def not_useful_share(self) -> Optional[float]:
        return self.not_useful / self.rated if self.rated else None


@dataclass(frozen=True)
class Summary:
    """The figures of one set of filters. `by_day` counts every message, its type None
    for a step of a dialogue (a greeting, a "sí"); everything else counts feedback only."""

    filters: Filters
    messages: int
    coded: int
    sensitive: int
    unresolved: int
    by_day: dict[date, Counter] = field(default_factory=dict)
    by_type: Counter = field(default_factory=Counter)
    by_region: Counter = field(default_factory=Counter)
    by_topic: list[TopicRow] = field(default_factory=list)
    ratings_apply: bool = True

    @property
    def first(self) -> Optional[date]:
        return min(self.by_day) if self.by_day else None

    @property
    def last(self) -> Optional[date]:
        return max(self.by_day) if self.by_day else None


def summary(filters: Filters) -> Summary:
    coded = Feedback.feedback_type.is_not(None)
    with session_scope() as session:
        daily = session.execute(
            _where(select(Feedback.date, Feedback.feedback_type, func.count()), filters).group_by(
                Feedback.date, Feedback.feedback_type
            )
        ).all()
        per_topic = session.execute(
            _where(select(Feedback.topic, Feedback.status, func.count()), filters)
            .where(coded)
            .group_by(Feedback.topic, Feedback.status)
        ).all()
        per_region = session.execute(
            _where(select(Feedback.region, func.count()), filters)
            .where(coded)
            .group_by(Feedback.region)
        ).all()
        sensitive = session.execute(
            _where(select(func.count()).select_from(Feedback), filters).where(
                coded, Feedback.sensitive.is_(True)
            )
        ).scalar()
    by_day: dict[date, Counter] = {}
    by_type: Counter = Counter()
    for day, feedback_type, count in daily:
        by_day.setdefault(day, Counter())[feedback_type] += count
        if feedback_type:
            by_type[feedback_type] += count
    counts: dict[str, Counter] = {}
    for topic, status, count in per_topic:
        counts.setdefault(topic, Counter())[status] += count
    # Ratings have no region and no type: with those filters they are left out, not guessed.
    ratings_apply = not (filters.region or filters.feedback_type)
    rated = {}
    if ratings_apply:
        rated = {
            row["topic"]: row for row in ratings.per_topic(*filters.utc_bounds(), filters.topic)
        }
    table = [
        TopicRow(
            topic,
            sum(counts.get(topic, Counter()).values()),
            counts.get(topic, Counter())[coding.UNANSWERED],
            counts.get(topic, Counter())[coding.HANDED_OFF],
            rated[topic]["useful"] if topic in rated else (0 if ratings_apply else None),
            rated[topic]["not_useful"] if topic in rated else (0 if ratings_apply else None),
        )
        for topic in set(counts) | set(rated)
        if topic != coding.UNRESOLVED
    ]
    table.sort(key=lambda row: (-row.total, -row.rated, row.topic))
    return Summary(
        filters=filters,
        messages=sum(count for _, _, count in daily),
        coded=sum(by_type.values()),
        sensitive=sensitive,
        unresolved=sum(counts.get(coding.UNRESOLVED, Counter()).values()),
        by_day=by_day,
        by_type=by_type,
        by_region=Counter({region: count for region, count in per_region}),
        by_topic=table,
        ratings_apply=ratings_apply,
    )


def unit_for(start: date, end: date) -> str:
    """Days, weeks or months: enough bars to see a trend, few enough to read them."""
    days = (end - start).days + 1
    return DAY if days <= DAYS_UP_TO else WEEK if days <= WEEKS_UP_TO else MONTH


def bucket_of(day: date, unit: str) -> date:
    """The first day of the day, week (Monday) or month that `day` falls in."""
    if unit == WEEK:
        return day - timedelta(days=day.weekday())
    if unit == MONTH:
        return day.replace(day=1)
    return day


def _after(bucket: date, unit: str) -> date:
    if unit == WEEK:
        return bucket + timedelta(days=7)
    if unit == MONTH:
        return (bucket.replace(day=28) + timedelta(days=4)).replace(day=1)
    return bucket + timedelta(days=1)


@dataclass(frozen=True)
class Trend:
    """Feedback by type in each day, week or month of the range, empty ones included."""

    unit: str
    start: date
    end: date
    buckets: list[tuple[date, Counter]]


def trend(data: Summary) -> Optional[Trend]:
    """None when there is neither a range nor any message to draw one from."""
    start = data.filters.start or data.first
    end = data.filters.end or data.last
    if start is None or end is None:
        return None
    unit = unit_for(start, end)
    counts: dict[date, Counter] = {}
    for day, by_type in data.by_day.items():
        bucket = counts.setdefault(bucket_of(day, unit), Counter())
        bucket.update({kind: n for kind, n in by_type.items() if kind})
    buckets, bucket = [], bucket_of(start, unit)
    while bucket <= end:
        buckets.append((bucket, counts.get(bucket, Counter())))
        bucket = _after(bucket, unit)
    return Trend(unit, start, end, buckets)


def _percentile(values: list[float], share: float) -> Optional[float]:
    return values[int(share * (len(values) - 1))] if values else None


def handoffs(filters: Filters, now: Optional[datetime] = None) -> dict:
    """Tickets opened in the range (by region and topic; a ticket has no type), by reason
    and status, and how long people waited for an operator, in minutes."""
    now = now or utc_now()
    since, until = filters.utc_bounds()
    query = select(Ticket.reason, Ticket.status, Ticket.created_at, Ticket.claimed_at)
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    if until is not None:
        query = query.where(Ticket.created_at < until)
    if filters.region:
        query = query.where(Ticket.region == filters.region)
    if filters.topic:
        query = query.where(Ticket.topic == filters.topic)
    with session_scope() as session:
        found = session.execute(query).all()
    waits = sorted(
        (t.claimed_at - t.created_at).total_seconds() / 60 for t in found if t.claimed_at
    )
    waiting = [(now - t.created_at).total_seconds() / 60 for t in found if t.status == "waiting"]
    return {
        "total": len(found),
        "by_reason": Counter(t.reason for t in found).most_common(),
        "by_status": Counter(t.status for t in found).most_common(),
        "claimed": len(waits),
        "median_wait": statistics.median(waits) if waits else None,
        "p90_wait": _percentile(waits, 0.9),
        "longest_current_wait": max(waiting) if waiting else None,
    }


def unresolved(filters: Filters, limit: int = TOP_UNRESOLVED) -> list[dict]:
    """The unresolved questions asked most often (same words, any spelling), redacted
    again when quoted: rows coded before the line had its detector kept them as said.
    Not the answers the content team reviews for being unsure or 👎: those were answered."""
    with session_scope() as session:
        kept = session.execute(
            _where(
                select(Feedback.text, Feedback.timestamp, Feedback.date, Feedback.handoff), filters
            )
            .where(
                Feedback.text.is_not(None),
                or_(
                    Feedback.review.is_(None),
                    Feedback.review.not_in((coding.NOT_USEFUL, coding.LOW_CONFIDENCE_ANSWER)),
                ),
            )
            .order_by(Feedback.date, Feedback.timestamp)
        ).all()
    groups: dict[str, list] = {}
    for row in kept:
        if row.text:
            groups.setdefault(normalise(row.text), []).append(row)
    ranked = sorted(groups.values(), key=lambda group: (-len(group), -group[-1].timestamp))
    return [
        {
            "text": redact(group[-1].text),
            "count": len(group),
            "last": group[-1].date,
            "handed_off": sum(bool(r.handoff) for r in group),
        }
        for group in ranked[:limit]
    ]


def content_due(today: date, topic: Optional[str] = None) -> list[provenance.Due]:
    """The answers to check again soon (`make content-due`), of one topic if asked."""
    return [row for row in provenance.due(today) if topic is None or row.topic == topic]


def refresh() -> Optional[int]:
    """Code what is new in the tracker store, after completing the erasures asked for
    (an erased conversation must never reach a figure). None: no tracker store yet."""
    if not coding.tracker_available():
        return None
    erasure.sweep()
    return coding.ingest(skip=erasure.pending_senders())
