"""In CI a test that needs the model, the services or a browser cannot pass by skipping:
the real tests/conftest.py, run on a small suite."""

import pytest

pytest_plugins = ["pytester"]

# The hooks of tests/conftest.py, without its fixtures.
CONFTEST = "from tests.support.ci import pytest_collection_modifyitems, pytest_runtest_makereport\n"
SUITE = """
import pytest

@pytest.mark.model
def test_that_needs_the_model():
    pytest.skip("no trained model here")

def test_that_needs_nothing():
    pytest.skip("nothing to do")

def test_that_runs():
    pass
"""


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makeini(
        "[pytest]\nmarkers =\n    unit: u\n    model: m\n    services: s\n    browser: b\n"
    )
    pytester.makepyfile(test_suite=SUITE)
    return pytester


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_skipped_model_test_fails_only_in_ci(suite, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    result = suite.runpytest("-p", "no:cacheprovider")
    if ci:
        result.assert_outcomes(passed=1, skipped=1, failed=1)
        result.stdout.fnmatch_lines(["*skipped in CI, where every model test must run*"])
    else:
        result.assert_outcomes(passed=1, skipped=2)
