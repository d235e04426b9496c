"""Drafts of new topics: questions from the review inbox gathered under a name until an
editor turns them into a topic file (created from the `make new-topic` scaffold, with the
draft's questions as its first examples).

A draft is not a topic file: a file without its answer and provenance would fail `make
validate`, and the files hold only what passes. Its questions were redacted before they
reached the inbox, like the examples they become.
"""

from __future__ import annotations

from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, select

from line.core.db import Base, session_scope, utc_now
from line.privacy import redact

MAX_NAME = 80


class Draft(Base):
    __tablename__ = "content_drafts"

    id = Column(Integer, primary_key=True)
    name = Column(String(MAX_NAME), nullable=False)
    examples = Column(Text, nullable=False, default="")  # one per line
    created_by = Column(String(64), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    topic = Column(String(64))  # the topic it became


def _public(draft: Draft) -> dict:
    return {
        "id": draft.id,
        "name": draft.name,
        "examples": [line for line in draft.examples.splitlines() if line],
        "created_by": draft.created_by,
        "created_at": draft.created_at,
        "topic": draft.topic,
    }


def start(name: str, by: str) -> int:
    """A new, empty draft; its name is what the editor calls the future topic."""
    name = " ".join(name.split())[:MAX_NAME]
    if not name:
        raise ValueError("a draft needs a name")
    with session_scope() as session:
        draft = Draft(name=name, examples="", created_by=by)
        session.add(draft)
        session.flush()
        return draft.id


def gather(draft_id: int, question: str) -> bool:
    """Add a question (redacted, on one line) to an open draft; False if there is none."""
    line = " ".join(redact(question).split())
    with session_scope() as session:
        draft = session.get(Draft, draft_id, with_for_update=True)
        if draft is None or draft.topic is not None:
            return False
        if line and line not in draft.examples.splitlines():
            draft.examples = f"{draft.examples}{line}\n"
        return True


def drafts(only_open: bool = True) -> list[dict]:
    query = select(Draft).order_by(Draft.id.desc())
    if only_open:
        query = query.where(Draft.topic.is_(None))
    with session_scope() as session:
        return [_public(d) for d in session.execute(query).scalars()]


def draft(draft_id: int) -> Optional[dict]:
    with session_scope() as session:
        found = session.get(Draft, draft_id)
        return _public(found) if found else None


def became(draft_id: int, topic: str) -> None:
    """The draft is now the topic file `topic`: it leaves the open drafts."""
    with session_scope() as session:
        found = session.get(Draft, draft_id)
        if found is not None:
            found.topic = topic
