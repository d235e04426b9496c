"""Handoff tickets that survive a database outage.

Tickets live in the line's database, the same one as the directory, so when it
is down the ticket of a person who needs someone cannot be written. Rather than
lose it, `open_or_keep` appends it to a spool file (LINE_TICKET_SPOOL) and a
background thread writes the spooled tickets, oldest first, as soon as the
database answers again. The spool is per host: a process on another machine
does not see it. A file lock lets Rasa and the action server of one host share it.
A replayed ticket is dated when it is written, not when the person asked.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from sqlalchemy.exc import SQLAlchemyError

from line.core import metrics
from line.core import settings as config
from line.core.db import DatabaseUnavailable
from line.handoff import tickets
from line.handoff.request import Handoff
from line.handoff.tickets import Receipt

logger = logging.getLogger(__name__)
DATABASE_ERRORS = (DatabaseUnavailable, SQLAlchemyError)

# The clock the retry thread waits on (tests replace it).
pause = time.sleep

_retrier_lock = threading.Lock()
_retrier: Optional[threading.Thread] = None


def open_or_keep(handoff: Handoff) -> Optional[Receipt]:
    """The stored ticket (see tickets.open_ticket), or None when the database is down
    and the ticket was kept in the spool. Raises OSError only if the spool cannot be
    written either: then nothing holds the ticket and the caller must say so."""
    if _spooled():
        keep_retrying()  # left over from before a restart
    try:
        receipt = tickets.open_ticket(handoff.sender_id, handoff.reason, **handoff.ticket_fields())
        metrics.ticket_kept(handoff.reason, spooled=False)
        return receipt
    except DATABASE_ERRORS as exc:
        logger.error(
            "TICKET NOT IN THE DATABASE for %s (%s): kept in %s until it answers",
            handoff.sender_id,
            exc,
            config.settings.ticket_spool_file,
        )
    entry = {"sender_id": handoff.sender_id, "reason": handoff.reason, **handoff.ticket_fields()}
    with _locked() as path, open(path, "a", encoding="utf-8") as spool:
        spool.write(json.dumps(entry, ensure_ascii=False) + "\n")
        spool.flush()
        os.fsync(spool.fileno())
    metrics.ticket_kept(handoff.reason, spooled=True)
    keep_retrying()
    return None


def retry() -> int:
    """Write spooled tickets in order until the database fails; how many are left.
    A person's second spooled handoff adds to their first ticket, as it would have."""
    if not _spooled():
        return 0
    with _locked() as path:
        entries = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        written = 0
        try:
            for line in entries:
                entry = json.loads(line)
                tickets.open_ticket(entry.pop("sender_id"), entry.pop("reason"), **entry)
                written += 1
        except DATABASE_ERRORS as exc:
            logger.error(
                "%d kept ticket(s) still waiting for the database: %s", len(entries) - written, exc
            )
        finally:
            if written:  # replaced whole, so a crash never leaves a half-written spool
                rest = path.with_name(path.name + ".new")
                with open(rest, "w", encoding="utf-8") as spool:
                    spool.write("".join(line + "\n" for line in entries[written:]))
                    spool.flush()
                    os.fsync(spool.fileno())
                os.replace(rest, path)
    if written:
        logger.warning("%d kept ticket(s) written to the database", written)
    return len(entries) - written


def retrying() -> bool:
    """Whether this process's retry thread is running."""
    return _retrier is not None


def _spooled() -> bool:
    path = config.settings.ticket_spool_file
    return path.exists() and path.stat().st_size > 0


@contextmanager
def _locked() -> Iterator[Path]:
    """The spool's path, under a lock file shared with the other processes of this host
    (the spool itself is replaced, so it cannot carry the lock)."""
    path = config.settings.ticket_spool_file
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield path


def keep_retrying() -> None:
    """One daemon thread per process while anything is spooled."""
    global _retrier
    with _retrier_lock:
        if _retrier is None:
            _retrier = threading.Thread(target=_retry_until_empty, name="ticket-spool", daemon=True)
            _retrier.start()


def _retry_until_empty() -> None:
    global _retrier
    while True:
        pause(config.settings.ticket_retry_seconds)
        try:
            retry()
        except Exception:  # a thread that dies would leave the spool to the next handoff
            logger.exception("kept tickets could not be retried")
        with _retrier_lock:  # checked under the lock, so a ticket spooled now is seen
            if not _spooled():
                _retrier = None
                return
