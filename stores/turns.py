"""Every finished turn counted and timed, by what the line did (line/core/metrics.py).

The narrowest place Rasa supports that sees a whole turn is the tracker store: Rasa reads
the conversation once before the turn (`retrieve`, once the conversation's lock is held)
and saves it once after it (`save`), when the bot's messages have gone out, with every
event of the turn. An event broker sees the same events one by one, later, and only
where one is configured; the action server sees custom actions only, never an FAQ answer
nor an emergency number. Other saves carry no new message of the person (an operator's
reply appended through the HTTP API, an external intent) and are not turns.

The turn's time runs from `retrieve` to the end of `save`: the model, the dialogue, the
actions and the sending, not the wait for the lock before it.
"""

from __future__ import annotations

import itertools
import time
from collections import OrderedDict
from typing import Iterator, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.constants import IS_EXTERNAL
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.orm import sessionmaker

from components import rasa_compat
from line.core import db, metrics
from line.privacy import logs

# Rasa's choice of the events a save writes, re-implemented here (checked when made).
REPLACED = (
    rasa_compat.Replaced(
        "the embedded store appends what the turn added (stores/turns.py)",
        SQLTrackerStore,
        "_additional_events",
        "d22f99eb863acb07",
    ),
)
# On a tracker: how many of its events were stored when it was read or last saved. What
# follows is what the next save adds.
STORED = "_line_stored_events"
# On a tracker: how many of its events the metrics had seen when it was read or last
# saved, whether or not that save succeeded (a failed turn is still a turn).
SEEN = "_line_turn_seen_events"
# Conversations whose turn started and has not been saved yet (a read through the HTTP
# API starts none that ends): the oldest are forgotten beyond this.
REMEMBERED = 10_000


class TurnMetrics:
    """A tracker store mixin: put it first among the bases and call `_turn_saved` at the
    end of `save`."""

    def __init__(self, *args, **kwargs) -> None:
        # Both endpoints files name a store with this mixin, and Rasa makes it before
        # any message comes: the one start-up place of every Rasa server of the line.
        logs.install()
        super().__init__(*args, **kwargs)
        self._turn_started: OrderedDict[str, float] = OrderedDict()
        self._clock = time.perf_counter

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        self._turn_started[sender_id] = self._clock()
        self._turn_started.move_to_end(sender_id)
        while len(self._turn_started) > REMEMBERED:
            self._turn_started.popitem(last=False)
        tracker = await super().retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, SEEN, len(tracker.events))
        return tracker

    def _turn_saved(self, tracker: DialogueStateTracker) -> None:
        events = list(tracker.events)
        new = events[getattr(tracker, SEEN, 0) :]
        setattr(tracker, SEEN, len(events))
        said = [
            i
            for i, event in enumerate(new)
            if isinstance(event, UserUttered) and not (event.metadata or {}).get(IS_EXTERNAL)
        ]
        if not said:
            return
        started = self._turn_started.pop(tracker.sender_id, None)
        turn = new[said[-1] :]
        metrics.turn_finished(
            metrics.turn_outcome([event.as_dict() for event in turn]),
            turn[0].input_channel,
            None if started is None else self._clock() - started,
        )


def remember_stored(tracker: DialogueStateTracker, count: int) -> DialogueStateTracker:
    setattr(tracker, STORED, count)
    return tracker


class MeteredSQLTrackerStore(TurnMetrics, SQLTrackerStore):
    """Rasa's SQL tracker store with the turn metrics (endpoints.yml). On SQLite, the
    embedded default, its connections are kept open and the file is in WAL mode: a turn's
    read and save no longer open the file and sync its rollback journal each time
    (docs/bench.md, "Fourth pass").

    A save appends the events added since the tracker was read or last saved. Rasa's
    counts the conversation's stored events again at every save (one more query of the
    latest session, docs/bench.md "Sixth pass"), and writes back events erased while the
    turn ran. A tracker this store did not read (a new one, a full history) is saved
    Rasa's way."""

    def __init__(self, *args, **kwargs) -> None:
        rasa_compat.check(*REPLACED)
        super().__init__(*args, **kwargs)
        if self.engine.url.get_backend_name() == "sqlite":
            self.engine.dispose()
            self.engine = db.sqlite_engine(str(self.engine.url))
            self.sessionmaker = sessionmaker(bind=self.engine)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        tracker = await super().retrieve(sender_id)
        return tracker if tracker is None else remember_stored(tracker, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        try:
            await super().save(tracker)
            remember_stored(tracker, len(tracker.events))
        finally:
            self._turn_saved(tracker)

    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, STORED, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, None)
