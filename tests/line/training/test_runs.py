"""Training runs in the database: one at a time through the lease, a stalled one taken
over once its lease expires, progress and results kept for the page and the history."""

from datetime import datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from line.core import db
from line.training import runs
from tests.line.training.readings import reading
from tests.support.net import at_once

NOW = datetime(2026, 12, 5, 15, 0)
LEASE = 60


def test_the_models_match_migration_0015(migrated):
    with db.engine().connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), db.Base.metadata)
    assert [d for d in diffs if "training_" in repr(d)] == []


def test_a_second_start_is_refused_while_one_runs(migrated):
    first = runs.start(runs.PUBLISH, "tito", NOW, LEASE)
    with pytest.raises(runs.Busy) as busy:
        runs.start(runs.TEST, "eva", NOW + timedelta(seconds=30), LEASE)
    assert busy.value.run["id"] == first.run["id"] and busy.value.run["requested_by"] == "tito"
    # The refused start left nothing behind.
    assert [r["id"] for r in runs.history()] == [first.run["id"]]
    runs.finish(first.run["id"], runs.PASSED, NOW + timedelta(minutes=2))
    second = runs.start(runs.TEST, "eva", NOW + timedelta(minutes=3), LEASE)
    assert second.took_over is None and runs.current()["id"] == second.run["id"]


def test_starts_at_once_let_exactly_one_run(migrated):
    def start(n):
        try:
            return runs.start(runs.TEST, f"t{n}", NOW, LEASE).run["id"]
        except runs.Busy:
            return None

    started = at_once(start, 4)
    assert len([s for s in started if s]) == 1
    assert len(runs.history()) == 1


def test_a_stalled_run_is_taken_over_once_its_lease_expires(migrated):
    stalled = runs.start(runs.PUBLISH, "tito", NOW, LEASE)
    runs.progress(
        stalled.run["id"], "train", 30, "Epochs: 30%|", NOW + timedelta(seconds=20), LEASE
    )
    with pytest.raises(runs.Busy):  # renewed: still its own
        runs.start(runs.TEST, "eva", NOW + timedelta(seconds=70), LEASE)
    later = NOW + timedelta(seconds=20 + LEASE + 1)
    taken = runs.start(runs.TEST, "eva", later, LEASE)
    assert taken.took_over == stalled.run["id"]
    old = runs.get(stalled.run["id"])
    assert old["status"] == runs.ABANDONED and old["finished_at"] == later
    # The stalled job, should it wake up, learns it lost the lease and may not write.
    with pytest.raises(runs.LeaseLost):
        runs.progress(stalled.run["id"], "train", 40, "", later, LEASE)
    runs.finish(stalled.run["id"], runs.PUBLISHED, later)
    assert runs.get(stalled.run["id"])["status"] == runs.ABANDONED
    assert runs.current()["id"] == taken.run["id"]


def test_progress_and_results_are_kept_for_the_page(migrated):
    run_id = runs.start(runs.PUBLISH, "tito", NOW, LEASE).run["id"]
    runs.progress(run_id, "test", 150, "line 1\nline 2", NOW, LEASE)
    shown = runs.current()
    assert (shown["step"], shown["percent"], shown["log_tail"]) == ("test", 100, "line 1\nline 2")
    runs.record(run_id, model_id="abc", results={"after": reading(faq=0.8)})
    runs.finish(run_id, runs.REFUSED, NOW, reasons=[{"code": "faq_drop"}])
    assert runs.current() is None
    ended = runs.get(run_id)
    assert ended["status"] == runs.REFUSED and ended["reasons"] == [{"code": "faq_drop"}]
    assert runs.latest_results_for("abc")["faq_accuracy"] == 0.8
    assert runs.latest_results_for("other") is None


def test_the_history_is_newest_first(migrated):
    ids = []
    for minute in range(3):
        run_id = runs.start(runs.TEST, "tito", NOW + timedelta(minutes=minute), LEASE).run["id"]
        runs.finish(run_id, runs.PASSED, NOW + timedelta(minutes=minute))
        ids.append(run_id)
    assert [r["id"] for r in runs.history()] == ids[::-1]
    assert [r["id"] for r in runs.history(limit=2)] == ids[:0:-1]
