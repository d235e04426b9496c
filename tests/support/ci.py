"""Every test marked by what it needs, and in CI no needed test skipped.

A test says what it needs by the fixtures it takes (tests/support/requirements.py): REQUIRES
gives the marker of each, and a test that needs none of them is `unit` (`make test-fast`).
With CI=true a skipped `model`, `services` or `browser` test fails: in CI everything it
needs must be there (.ci/run makes sure of it). tests/conftest.py uses these hooks."""

from __future__ import annotations

import os

import pytest

NEEDS = ("model", "services", "browser")
# Marked by hand: trains a small model (minutes), so it is no `unit` test either.
TRAINING = "training"
# Fixture -> the marker of every test that takes it (directly or through other fixtures).
REQUIRES = {
    "trained_model": "model",
    "postgres_url": "services",
    "redis_service": "services",
    "rabbitmq_service": "services",
    "redis_program": "services",
    "nginx_program": "services",
    "promtool_program": "services",
    "chromium": "browser",
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture in set(item.fixturenames) & set(REQUIRES):
            item.add_marker(REQUIRES[fixture])
        params = getattr(item, "callspec", None)
        if params and params.params.get("db_url") == "postgresql":
            item.add_marker("services")
        if not any(item.get_closest_marker(mark) for mark in (*NEEDS, TRAINING)):
            item.add_marker("unit")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and in_ci():
        needs = [need for need in NEEDS if item.get_closest_marker(need)]
        if needs:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            report.outcome = "failed"
            report.longrepr = (
                f"skipped in CI, where every {'/'.join(needs)} test must run: {reason}"
            )
