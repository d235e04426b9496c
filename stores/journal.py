"""Conversation events that could not reach PostgreSQL, kept on local disk until they can.

A SQLite file, so the Rasa instances of one host share it (their order is the order of
the rows) and it survives a Rasa restart. The tracker store writes it and empties it.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

# Seconds to wait while another instance holds the file.
BUSY_TIMEOUT = 30


@dataclass(frozen=True)
class Entry:
    """One turn's events. `appended`: they follow what PostgreSQL held when the tracker
    was loaded; otherwise they are a whole tracker, and Rasa's own rule (skip as many as
    the latest session has stored) decides what is new."""

    id: int
    sender_id: str
    events: list
    appended: bool


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY "
                "AUTOINCREMENT, sender_id TEXT NOT NULL, events TEXT NOT NULL, "
                "appended INTEGER NOT NULL)"
            )

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)
        try:
            with connection:
                yield connection
        finally:
            connection.close()

    def append(self, sender_id: str, events: list, appended: bool) -> None:
        with self._db() as db:
            db.execute(
                "INSERT INTO journal (sender_id, events, appended) VALUES (?, ?, ?)",
                (sender_id, json.dumps(events), int(appended)),
            )

    def pending(self) -> list[Entry]:
        """Every entry, oldest first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT id, sender_id, events, appended FROM journal ORDER BY id"
            ).fetchall()
        return [
            Entry(id, sender, json.loads(events), bool(appended))
            for id, sender, events, appended in rows
        ]

    def events(self, sender_id: str) -> list:
        """One conversation's journaled events, in order."""
        with self._db() as db:
            rows = db.execute(
                "SELECT events FROM journal WHERE sender_id = ? ORDER BY id", (sender_id,)
            ).fetchall()
        return [event for (events,) in rows for event in json.loads(events)]

    def remove(self, entry_id: int) -> None:
        with self._db() as db:
            db.execute("DELETE FROM journal WHERE id = ?", (entry_id,))

    def __len__(self) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM journal").fetchone()[0]
