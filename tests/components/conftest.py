"""Rasa as installed, before and after each test: a test that installs one of the line's
changes to Rasa (or a server earlier in the session that did) leaves no test running on a
patched Rasa by accident."""

import pytest

from components import (
    action_calls,
    count_vectors,
    fingerprints,
    inference_models,
    rasa_compat,
    spacy_nlp,
)

REPLACED = (
    action_calls.REPLACED
    + count_vectors.REPLACED
    + fingerprints.REPLACED
    + inference_models.REPLACED
    + spacy_nlp.REPLACED
)


@pytest.fixture(autouse=True)
def rasa_as_installed():
    for function in REPLACED:
        rasa_compat.uninstall(function)
    yield
    for function in REPLACED:
        rasa_compat.uninstall(function)
