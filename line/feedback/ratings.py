"""👍 / 👎 ratings of FAQ answers: which answers help, topic by topic.

A rating is stored under the same keyed sender hash as the feedback codes, so
reports count people without being able to name them, and an erasure request
finds the rows to delete.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Optional

from sqlalchemy import Boolean, Column, DateTime, Integer, String, delete, func, select

from line.core.db import Base, session_scope, utc_now
from line.feedback.coding import sender_hash


class Rating(Base):
    __tablename__ = "ratings"

    id = Column(Integer, primary_key=True)
    topic = Column(String(64), nullable=False)
    sender_hash = Column(String(32), nullable=False, index=True)
    useful = Column(Boolean, nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)


def record(sender_id: str, topic: str, useful: bool) -> None:
    with session_scope() as session:
        session.add(Rating(sender_hash=sender_hash(sender_id), topic=topic, useful=useful))


def per_topic(
    since: Optional[datetime] = None, until: Optional[datetime] = None, topic: Optional[str] = None
) -> list[dict]:
    """Each rated topic with its 👍 and 👎 counts, least useful share first, so the
    content team sees at the top the answers to rewrite. `since` and `until` (UTC,
    `until` excluded) and `topic` narrow it, for the console's filters."""
    query = select(Rating.topic, Rating.useful, func.count()).group_by(Rating.topic, Rating.useful)
    if since is not None:
        query = query.where(Rating.created_at >= since)
    if until is not None:
        query = query.where(Rating.created_at < until)
    if topic is not None:
        query = query.where(Rating.topic == topic)
    counts: dict[str, dict] = defaultdict(lambda: {"useful": 0, "not_useful": 0})
    with session_scope() as session:
        rows = session.execute(query)
        for rated, useful, count in rows:
            counts[rated]["useful" if useful else "not_useful"] += count
    table = [
        {"topic": rated, **c, "total": c["useful"] + c["not_useful"]} for rated, c in counts.items()
    ]
    return sorted(
        table, key=lambda row: (-row["not_useful"] / row["total"], -row["total"], row["topic"])
    )


def erase(session, hashed_sender: str) -> int:
    return session.execute(delete(Rating).where(Rating.sender_hash == hashed_sender)).rowcount
