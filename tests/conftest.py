"""Every test is marked by what it needs, from the fixtures it takes: `model`, `services`,
`browser`, else `unit` (tests/support/ci.py). With CI=true a skipped model, services or
browser test fails."""

import pytest

from line.privacy import logs
from tests.support.ci import pytest_collection_modifyitems, pytest_runtest_makereport

pytest_plugins = ["tests.support.requirements", "tests.support.whatsapp", "tests.support.content"]

__all__ = ["pytest_collection_modifyitems", "pytest_runtest_makereport"]


@pytest.fixture(autouse=True)
def log_redaction_undone():
    """A test that makes a store or starts a server in this process installs the log
    redaction (line/privacy/logs.py): the next test starts without it, so a test of what
    a module logs still sees what it logged."""
    yield
    logs.uninstall()
