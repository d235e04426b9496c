"""Every edit of a topic file made in the console: who, when, which topic, what changed.

Append-only: this module only adds and reads, and migration 0014 makes the database
refuse UPDATE and DELETE on the table, as for the log of who opened which conversation
(line/handoff/audit.py). The file's own history is git's; this log also holds the edits
made where the files are no git checkout, and says which commit each edit made.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, select

from line.core.db import Base, session_scope, utc_now

LIMIT = 200


class Edit(Base):
    __tablename__ = "content_edits"

    id = Column(Integer, primary_key=True)
    edited_at = Column(DateTime, nullable=False, default=utc_now, index=True)
    editor = Column(String(64), nullable=False)
    topic = Column(String(64), nullable=False, index=True)
    # What changed, as JSON (line/content/workbench.py `Saved.changes`): no text of people.
    changes = Column(Text, nullable=False)
    version = Column(String(64), nullable=False)  # of the file once saved
    commit = Column(String(40))  # the commit the save made, in a git checkout


def record(
    editor: str,
    topic: str,
    changes: dict,
    version: str,
    commit: Optional[str] = None,
    now: Optional[datetime] = None,
) -> None:
    with session_scope() as session:
        session.add(
            Edit(
                edited_at=now or utc_now(),
                editor=editor,
                topic=topic,
                changes=json.dumps(changes, ensure_ascii=False, sort_keys=True),
                version=version,
                commit=commit,
            )
        )


def edits(topic: Optional[str] = None, limit: int = LIMIT) -> list[dict]:
    """The latest edits first, of one topic when asked."""
    query = select(Edit).order_by(Edit.id.desc()).limit(limit)
    if topic is not None:
        query = query.where(Edit.topic == topic)
    with session_scope() as session:
        return [
            {
                "id": row.id,
                "edited_at": row.edited_at,
                "editor": row.editor,
                "topic": row.topic,
                "changes": json.loads(row.changes),
                "version": row.version,
                "commit": row.commit,
            }
            for row in session.execute(query).scalars()
        ]
