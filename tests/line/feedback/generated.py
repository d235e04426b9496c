"""A line's feedback codes, ratings and tickets over any number of days, from a fixed seed,
written through the line's own models, for the dashboard's tests (no tracker store, no
Rasa): Feedback rows as `coding` stores them, ratings and tickets as the line keeps them."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

from line.core import settings as config
from line.core.db import session_scope
from line.feedback import coding
from line.feedback.coding import Feedback
from line.feedback.ratings import Rating
from line.handoff.tickets import Ticket

TOPICS = ("covid_vaccine", "shelter", "help_is_free", "rumour_vaccine_microchip", "food")
REGIONS = ("Lima", "Tacna", "La Libertad", None)
REASONS = ("requested", "unresolved", "emergency")


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    """A naive UTC time at `hour`:`minute` of the line's local `day`."""
    offset = timedelta(hours=config.settings.utc_offset_hours)
    return datetime.combine(day, time(hour, minute)) - offset


def generate(last_day: date, days: int, per_day: int = 6, seed: int = 16) -> list[Feedback]:
    """`per_day` messages a day (one a dialogue step, the rest feedback), a rating and a
    ticket every other message, for the `days` days up to `last_day`. Returns the rows."""
    pick = random.Random(seed)
    made: list[Feedback] = []
    with session_scope() as session:
        for back in range(days):
            day = last_day - timedelta(days=back)
            for index in range(per_day):
                step = index == 0
                topic = None if step else pick.choice(TOPICS + (coding.UNRESOLVED,))
                kind = None if step else pick.choice(coding.TYPES)
                status = (
                    coding.ANSWERED
                    if step
                    else coding.UNANSWERED
                    if topic == coding.UNRESOLVED
                    else pick.choice(coding.STATUSES)
                )
                row = Feedback(
                    sender_hash=f"{back:016x}{index:016x}",
                    timestamp=_utc(day, 12).timestamp() + index,
                    event_id=back * per_day + index + 1,
                    date=day,
                    channel="whatsapp",
                    intent="greet" if step else "faq",
                    feedback_type=kind,
                    topic=topic,
                    region=pick.choice(REGIONS),
                    sensitive=kind == "concern",
                    handoff=status == coding.HANDED_OFF,
                    status=status,
                    text="el pasaje a bolivia cuanto sale" if topic == coding.UNRESOLVED else None,
                )
                made.append(row)
                session.add(row)
                if index % 2 and topic and topic != coding.UNRESOLVED:
                    session.add(
                        Rating(
                            topic=topic,
                            sender_hash=row.sender_hash,
                            useful=pick.random() < 0.7,
                            created_at=_utc(day, 13),
                        )
                    )
                if index % 2 == 0 and not step:
                    opened = _utc(day, 9, index)
                    claimed = pick.random() < 0.8
                    session.add(
                        Ticket(
                            sender_id=f"persona-{back}-{index}",
                            status="closed" if claimed else "waiting",
                            reason=pick.choice(REASONS),
                            topic=topic,
                            region=row.region,
                            created_at=opened,
                            claimed_at=opened + timedelta(minutes=pick.randint(1, 90))
                            if claimed
                            else None,
                        )
                    )
    return made
