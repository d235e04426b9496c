"""What waits for the content team's review, and what they decided about it.

The messages the line did not answer well keep their redacted text in the `feedback`
table with why (`review`, line/feedback/coding.py). The same words asked again are the
same item: a decision is kept per text (its normalised words, hashed, so this table holds
no text of the people) and takes the item out of the review for good, whoever asks it
again. `make suggest` and the console's review inbox read the same list.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, select
from sqlalchemy.exc import IntegrityError

from line.core.db import Base, session_scope, utc_now
from line.core.text import normalise
from line.feedback.coding import REVIEWED_TYPES, Feedback

# What an editor did with an item: added it as an example of a topic, gathered it into a
# draft of a new topic, or decided it is not for the line.
EXAMPLE, DRAFT, NOT_FOR_THE_LINE = "example", "draft", "not_for_the_line"
DECISIONS = (EXAMPLE, DRAFT, NOT_FOR_THE_LINE)


class Decision(Base):
    __tablename__ = "review_decisions"

    id = Column(Integer, primary_key=True)
    text_key = Column(String(64), nullable=False, unique=True)
    decision = Column(String(16), nullable=False)
    topic = Column(String(64))  # the topic it became an example of
    draft_id = Column(Integer)
    decided_by = Column(String(64), nullable=False)
    decided_at = Column(DateTime, nullable=False, default=utc_now)


class AlreadyDecided(RuntimeError):
    """Someone decided about the same words first."""


@dataclass(frozen=True)
class Waiting:
    """One message waiting for review: its redacted text, when, why, and what the line
    answered it with (a topic, or "unresolved") and how sure it was."""

    text: str
    date: date
    review: str
    topic: Optional[str]
    confidence: Optional[float]


@dataclass(frozen=True)
class Decided:
    """One decision and the words it was about, as the feedback table still holds them
    (redacted; None once retention took them away: this table keeps no text)."""

    text: Optional[str]
    decision: str
    topic: Optional[str]
    draft_id: Optional[int]
    decided_by: str
    decided_at: datetime


def text_key(text: str) -> str:
    """The same words however they are spelled: what a decision is kept under."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def _reviewed(*columns):
    """The messages sent for review that still have their words, oldest first."""
    return (
        select(*columns)
        .where(
            Feedback.review.is_not(None),
            Feedback.text.is_not(None),
            Feedback.feedback_type.in_(REVIEWED_TYPES),
        )
        .order_by(Feedback.timestamp)
    )


def waiting() -> list[Waiting]:
    """Every message waiting for review, oldest first, without those already decided."""
    with session_scope() as session:
        decided = set(session.execute(select(Decision.text_key)).scalars())
        rows = session.execute(
            _reviewed(
                Feedback.text, Feedback.date, Feedback.review, Feedback.topic, Feedback.confidence
            )
        ).all()
    return [Waiting(*row) for row in rows if text_key(row.text) not in decided]


def decisions(limit: int) -> list[Decided]:
    """The latest decisions, newest first, each with the spelling of its words asked
    most."""
    with session_scope() as session:
        rows = session.execute(
            select(Decision).order_by(Decision.decided_at.desc(), Decision.id.desc()).limit(limit)
        ).scalars()
        found = [
            (r.text_key, r.decision, r.topic, r.draft_id, r.decided_by, r.decided_at) for r in rows
        ]
        keys = {row[0] for row in found}
        spellings: dict[str, Counter] = {}
        for text in session.execute(_reviewed(Feedback.text)).scalars():
            key = text_key(text)
            if key in keys:
                spellings.setdefault(key, Counter())[text] += 1
    return [
        Decided(spellings[key].most_common(1)[0][0] if key in spellings else None, *rest)
        for key, *rest in found
    ]


def decide(
    key: str, decision: str, by: str, topic: Optional[str] = None, draft_id: Optional[int] = None
) -> None:
    """Take the words of `key` (text_key) out of the review for good; AlreadyDecided if
    someone did first."""
    if decision not in DECISIONS:
        raise ValueError(f"unknown decision {decision!r}")
    try:
        with session_scope() as session:
            session.add(
                Decision(
                    text_key=key, decision=decision, topic=topic, draft_id=draft_id, decided_by=by
                )
            )
    except IntegrityError as exc:
        raise AlreadyDecided(key) from exc
