"""Training runs in the database: what the page and `make publish` show, and the lease
that lets one run at a time.

The job runs in its own process and writes its step, percentage and log tail here, so a
browser refresh or a console restart loses nothing. The lease is one row: a run takes it
with a conditional UPDATE (free, or expired because its job stopped renewing it), so two
starts at once cannot both win, and a crashed job blocks others only until its lease ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, String, Text, or_, select, update

from line.core.db import Base, session_scope

TEST, PUBLISH, ROLLBACK = "test", "publish", "rollback"
KINDS = (TEST, PUBLISH, ROLLBACK)
# A run is RUNNING until it ends in one of the others: PASSED (a test-only run the gate
# accepts), REFUSED (the gate refused: `reasons` says why), PUBLISHED, ROLLED_BACK,
# FAILED (an error: `error` says which) or ABANDONED (its job stopped; another took over).
RUNNING, PASSED, REFUSED, PUBLISHED, ROLLED_BACK, FAILED, ABANDONED = (
    "running",
    "passed",
    "refused",
    "published",
    "rolled_back",
    "failed",
    "abandoned",
)
ENDED = (PASSED, REFUSED, PUBLISHED, ROLLED_BACK, FAILED, ABANDONED)
LOG_TAIL_LINES = 40
LEASE_ROW = 1
# Columns that hold JSON (the readings and the gate's reasons).
JSON_COLUMNS = ("results", "reasons")


class Run(Base):
    __tablename__ = "training_runs"

    id = Column(Integer, primary_key=True)
    kind = Column(String(16), nullable=False)
    status = Column(String(16), nullable=False)
    requested_by = Column(String(64), nullable=False)
    started_at = Column(DateTime, nullable=False, index=True)
    finished_at = Column(DateTime)
    step = Column(String(32), nullable=False)
    percent = Column(Integer, nullable=False)
    log_tail = Column(Text, nullable=False)
    reasons = Column(Text, nullable=False)  # JSON list of gate.Reason
    results = Column(Text, nullable=False)  # JSON of results.Reading and the comparison
    model_id = Column(String(64))  # the candidate's (or, for a rollback, the restored one's)
    error = Column(Text)


class Lease(Base):
    __tablename__ = "training_lease"

    id = Column(Integer, primary_key=True)
    run_id = Column(Integer)
    expires_at = Column(DateTime)


class Busy(RuntimeError):
    """Another run holds the lease; `run` is it, as `as_dict` gives it."""

    def __init__(self, run: Optional[dict]):
        super().__init__("another training run is under way")
        self.run = run


class LeaseLost(RuntimeError):
    """This run's lease expired and another run took it: the job must stop."""


def as_dict(run: Run) -> dict:
    return {
        "id": run.id,
        "kind": run.kind,
        "status": run.status,
        "requested_by": run.requested_by,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "step": run.step,
        "percent": run.percent,
        "log_tail": run.log_tail,
        "reasons": json.loads(run.reasons),
        "results": json.loads(run.results),
        "model_id": run.model_id,
        "error": run.error,
    }


@dataclass(frozen=True)
class Started:
    run: dict
    took_over: Optional[int]  # the id of a run whose expired lease this one took


def start(kind: str, who: str, now: datetime, lease_seconds: int) -> Started:
    """A new run holding the lease, or Busy. A run whose lease expired is marked
    ABANDONED in the same transaction."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of run: {kind}")
    with session_scope() as s:
        lease = s.get(Lease, LEASE_ROW)
        previous = lease.run_id if lease else None
        run = Run(
            kind=kind,
            status=RUNNING,
            requested_by=who,
            started_at=now,
            step="queued",
            percent=0,
            log_tail="",
            reasons="[]",
            results="{}",
        )
        s.add(run)
        s.flush()
        taken = s.execute(
            update(Lease)
            .where(Lease.id == LEASE_ROW, or_(Lease.run_id.is_(None), Lease.expires_at < now))
            .values(run_id=run.id, expires_at=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        ).rowcount
        if taken != 1:
            s.rollback()
            raise Busy(current())
        if previous is not None:
            s.execute(
                update(Run)
                .where(Run.id == previous, Run.status == RUNNING)
                .values(status=ABANDONED, finished_at=now)
                .execution_options(synchronize_session=False)
            )
        return Started(as_dict(run), previous)


def progress(
    run_id: int, step: str, percent: int, log_tail: str, now: datetime, lease_seconds: int
) -> None:
    """Records where the job is and renews its lease; LeaseLost when another run took it."""
    with session_scope() as s:
        renewed = s.execute(
            update(Lease)
            .where(Lease.id == LEASE_ROW, Lease.run_id == run_id)
            .values(expires_at=now + timedelta(seconds=lease_seconds))
            .execution_options(synchronize_session=False)
        ).rowcount
        if renewed != 1:
            raise LeaseLost(f"run {run_id} lost its lease")
        s.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(step=step, percent=max(0, min(100, int(percent))), log_tail=log_tail)
            .execution_options(synchronize_session=False)
        )


def _encoded(values: dict) -> dict:
    """Columns as stored: the results and the reasons are JSON."""
    return {k: json.dumps(v, default=str) if k in JSON_COLUMNS else v for k, v in values.items()}


def record(run_id: int, **values) -> None:
    """Stores part of a run's outcome while it runs (results, model_id)."""
    encoded = _encoded(values)
    with session_scope() as s:
        s.execute(
            update(Run)
            .where(Run.id == run_id)
            .values(**encoded)
            .execution_options(synchronize_session=False)
        )


def finish(run_id: int, status: str, now: datetime, **values) -> None:
    """Ends a run and frees the lease, in one transaction."""
    if status not in ENDED:
        raise ValueError(f"not an end: {status}")
    encoded = _encoded(values)
    with session_scope() as s:
        s.execute(
            update(Run)
            .where(Run.id == run_id, Run.status == RUNNING)
            .values(status=status, finished_at=now, percent=100, **encoded)
            .execution_options(synchronize_session=False)
        )
        s.execute(
            update(Lease)
            .where(Lease.id == LEASE_ROW, Lease.run_id == run_id)
            .values(run_id=None, expires_at=None)
            .execution_options(synchronize_session=False)
        )


def get(run_id: int) -> Optional[dict]:
    with session_scope() as s:
        run = s.get(Run, run_id)
        return as_dict(run) if run else None


def current() -> Optional[dict]:
    """The run holding the lease, if any (expired or not: the page shows a stalled one)."""
    with session_scope() as s:
        lease = s.get(Lease, LEASE_ROW)
        run = s.get(Run, lease.run_id) if lease and lease.run_id else None
        if run is None:
            return None
        found = as_dict(run)
        found["lease_expires_at"] = lease.expires_at
        return found


def history(limit: int = 50) -> list[dict]:
    """The latest runs, newest first."""
    with session_scope() as s:
        rows = s.scalars(select(Run).order_by(Run.id.desc()).limit(limit)).all()
        return [as_dict(r) for r in rows]


def latest_results_for(model_id: str) -> Optional[dict]:
    """The figures of the latest run that tested this model (the serving one's 'before')."""
    with session_scope() as s:
        rows = s.scalars(
            select(Run)
            .where(Run.model_id == model_id, Run.kind != ROLLBACK)
            .order_by(Run.id.desc())
        ).all()
        for run in rows:
            results = json.loads(run.results)
            if results.get("after"):
                return results["after"]
        return None
