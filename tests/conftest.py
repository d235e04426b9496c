"""Every test is marked by what it needs, from the fixtures it takes: `model`, `services`,
`browser`, else `unit` (tests/support/ci.py). With CI=true a skipped model, services or
browser test fails."""

from tests.support.ci import pytest_collection_modifyitems, pytest_runtest_makereport

pytest_plugins = ["tests.support.requirements", "tests.support.whatsapp"]

__all__ = ["pytest_collection_modifyitems", "pytest_runtest_makereport"]
