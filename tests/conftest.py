"""Every test is marked by what it needs, from the fixtures it takes (tests/support/
requirements.py): `model`, `services`, `browser`, else `unit`. `make test-fast` runs the
unit tests alone. With CI=true a skipped model, services or browser test fails: in CI
everything it needs must be there (.ci/run makes sure of it)."""

from __future__ import annotations

import os

import pytest

from tests.support.requirements import REQUIRES

pytest_plugins = ["tests.support.requirements", "tests.support.whatsapp"]

NEEDS = ("model", "services", "browser")


def pytest_collection_modifyitems(items):
    for item in items:
        for fixture in set(item.fixturenames) & set(REQUIRES):
            item.add_marker(REQUIRES[fixture])
        params = getattr(item, "callspec", None)
        if params and params.params.get("db_url") == "postgresql":
            item.add_marker("services")
        if not any(item.get_closest_marker(need) for need in NEEDS):
            item.add_marker("unit")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        needs = [need for need in NEEDS if item.get_closest_marker(need)]
        if needs:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
            report.outcome = "failed"
            report.longrepr = (
                f"skipped in CI, where every {'/'.join(needs)} test must run: {reason}"
            )
