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

@pytest.mark.training
def test_that_trains():
    pass
"""


@pytest.fixture
def suite(pytester):
    pytester.makeconftest(CONFTEST)
    pytester.makeini(
        "[pytest]\nmarkers =\n    unit: u\n    model: m\n    services: s\n    browser: b\n"
        "    training: t\n"
    )
    pytester.makepyfile(test_suite=SUITE)
    return pytester


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_skipped_model_test_fails_only_in_ci(suite, monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    result = suite.runpytest("-p", "no:cacheprovider")
    if ci:
        result.assert_outcomes(passed=2, skipped=1, failed=1)
        result.stdout.fnmatch_lines(["*skipped in CI, where every model test must run*"])
    else:
        result.assert_outcomes(passed=2, skipped=2)


def test_make_test_fast_takes_the_unit_tests_and_no_training(suite):
    """`make test-fast` is `-m unit`: a test marked `training` (minutes) is left out."""
    result = suite.runpytest("-p", "no:cacheprovider", "-m", "unit", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["*test_that_needs_nothing", "*test_that_runs"])
    result.stdout.no_fnmatch_line("*test_that_trains")
    result.stdout.no_fnmatch_line("*test_that_needs_the_model")
