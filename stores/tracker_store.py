"""Rasa's SQL tracker store, made to survive PostgreSQL restarting or staying down.

Rasa's own keeps pooled connections that a PostgreSQL restart kills, so the first read
after it fails; Rasa then answers the person as someone new and stores the turn in
memory only (FailSafeTrackerStore), where it is lost (RasaHQ/rasa#3243). Its save also
decides what is new by counting stored events, so two turns saved from the same state
(two instances, the lock store down) lose the second one's events.

Here connections are checked before use (pool_pre_ping) and every call retries for
TRACKER_STORE_RETRY_SECONDS, which covers a restart. If PostgreSQL stays down the turn
goes on without it: the conversation is read from the journal (its turns since the
outage began; none means a new session), the new events are journaled on local disk
(stores/journal.py), and they are written to PostgreSQL, oldest first, before anything
else is read or written once it answers again, or by a background retry every
TRACKER_STORE_RETRY_SECONDS if no message comes. A save appends exactly the events added
since the tracker was loaded, so concurrent turns keep all their events. Each turn is
counted and timed for the metrics (stores/turns.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from typing import Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs, is_postgresql_url
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.exc import InterfaceError, OperationalError

from components import rasa_compat
from line.core import metrics
from line.core import settings as config
from stores.journal import Entry, Journal
from stores.retry import Retry, reason
from stores.turns import STORED, TurnMetrics, remember_stored

logger = logging.getLogger(__name__)

# Rasa's reading and saving, re-implemented here (checked against the installed Rasa).
REPLACED = tuple(
    rasa_compat.Replaced(
        "tracker store that survives PostgreSQL (stores/tracker_store.py)",
        SQLTrackerStore,
        name,
        digest,
    )
    for name, digest in (("_retrieve", "c8adbf6f4b61ddd1"), ("save", "57165e46eab3de08"))
)

DOWN = (OperationalError, InterfaceError)
# PostgreSQL advisory lock: one journal entry is written at a time across instances, so
# the "already written?" check and the insert cannot race.
FLUSH_LOCK = 7_403_243


class JournaledSQLTrackerStore(TurnMetrics, SQLTrackerStore):
    def __init__(self, *args, **kwargs) -> None:
        rasa_compat.check(*REPLACED)
        super().__init__(*args, **kwargs)
        settings = config.settings
        url = self.engine.url
        self.engine.dispose()
        options = create_engine_kwargs(url)
        if is_postgresql_url(url):
            options["connect_args"] = {
                **options.get("connect_args", {}),
                "connect_timeout": math.ceil(settings.db_timeout_seconds),
            }
        self.engine = sa.create_engine(url, pool_pre_ping=True, **options)
        self.sessionmaker = sa.orm.sessionmaker(bind=self.engine)
        self.journal = Journal(settings.tracker_journal)
        self.database = Retry(
            "PostgreSQL (tracker store)", DOWN, settings.tracker_store_retry_seconds
        )
        # Rasa creates the table at start and goes on if PostgreSQL is down then.
        self._tables_ready = False
        self._flusher: Optional[asyncio.Task] = None

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Optional[DialogueStateTracker]:
        try:
            events = await self.database.run(self._read, sender_id, fetch_events_from_all_sessions)
        except DOWN as exc:
            metrics.database_error("tracker")
            events = self.journal.events(sender_id)
            logger.error(
                "conversation %s read from the journal (%d events), PostgreSQL unavailable: %s",
                sender_id,
                len(events),
                reason(exc),
            )
            self._keep_flushing()
            if not events:
                # Not None: Rasa would save the new tracker through its fail-safe
                # wrapper, which does not tell this store where the tracker came from.
                return remember_stored(self.init_tracker(sender_id), 0)
        if not events:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return remember_stored(tracker, len(events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id, events = tracker.sender_id, list(tracker.events)
        stored = getattr(tracker, STORED, None)
        try:
            stored = await self.database.run(self._write, sender_id, events, stored)
        except DOWN as exc:
            metrics.database_error("tracker")
            new = [event.as_dict() for event in events[stored or 0 :]]
            if new:
                self.journal.append(sender_id, new, appended=stored is not None)
                logger.error(
                    "conversation %s: %d events kept in the journal (%d turns "
                    "waiting), PostgreSQL unavailable: %s",
                    sender_id,
                    len(new),
                    len(self.journal),
                    reason(exc),
                )
                self._keep_flushing()
            stored = stored or 0
        if self.event_broker:
            await self._stream_new_events(self.event_broker, events[stored:], sender_id)
        remember_stored(tracker, len(events))
        self._turn_saved(tracker)

    def _keep_flushing(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_when_back())

    async def _flush_when_back(self) -> None:
        """Journaled turns reach PostgreSQL even if nobody writes again."""
        while len(self.journal):
            await asyncio.sleep(config.settings.tracker_store_retry_seconds)
            try:
                await self.database.run(self._flush)
            except DOWN:
                pass

    def _read(self, sender_id: str, all_sessions: bool) -> list:
        self._flush()
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=all_sessions
            ).all()
            return [json.loads(row.data) for row in rows]

    def _write(self, sender_id: str, events: list, stored: Optional[int]) -> int:
        """Append the events after `stored` (Rasa's count when unknown); returns it."""
        self._flush()
        with self.session_scope() as session:
            if stored is None:
                stored = self._latest_session_count(session, sender_id)
            self._add(session, sender_id, [event.as_dict() for event in events[stored:]])
            session.commit()
        return stored

    def _flush(self) -> None:
        """Write the journal, oldest first. An entry is removed only once PostgreSQL
        committed it; if the removal is lost (a crash in between), the next flush finds
        its first event already stored and does not write it twice."""
        if not self._tables_ready:
            self.Base.metadata.create_all(self.engine)
            self._tables_ready = True
        for entry in self.journal.pending():
            with self.session_scope() as session:
                if self.engine.dialect.name == "postgresql":
                    session.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": FLUSH_LOCK}
                    )
                events = entry.events
                if not entry.appended:
                    events = events[self._latest_session_count(session, entry.sender_id) :]
                elif self._written(session, entry):
                    events = []
                self._add(session, entry.sender_id, events)
                session.commit()
            self.journal.remove(entry.id)
            logger.warning(
                "conversation %s: %d journaled events written to PostgreSQL",
                entry.sender_id,
                len(events),
            )

    def _latest_session_count(self, session, sender_id: str) -> int:
        return self._event_query(session, sender_id, fetch_events_from_all_sessions=False).count()

    def _written(self, session, entry: Entry) -> bool:
        if not entry.events:
            return True
        first = entry.events[0]
        return (
            session.query(self.SQLEvent.id)
            .filter(
                self.SQLEvent.sender_id == entry.sender_id,
                self.SQLEvent.type_name == first["event"],
                self.SQLEvent.timestamp == first.get("timestamp"),
            )
            .first()
            is not None
        )

    def _add(self, session, sender_id: str, events: list) -> None:
        """The same rows Rasa's own save writes."""
        for data in events:
            session.add(
                self.SQLEvent(
                    sender_id=sender_id,
                    type_name=data["event"],
                    timestamp=data.get("timestamp"),
                    intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                )
            )
