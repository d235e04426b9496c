"""The cached check of action server answers agrees with Rasa's own, answer by answer.

Rasa's own check is taken from a fresh copy of its module, read from Rasa's source file,
so it is Rasa's code whatever this process has installed."""

import importlib.util
import inspect

import pytest
from jsonschema import ValidationError
from rasa.core.actions import action as rasa_action
from rasa.core.actions.action import RemoteAction

from components import action_result_schema, rasa_compat


def _rasas_check():
    spec = importlib.util.spec_from_file_location(
        "rasas_own_action_module", inspect.getsourcefile(rasa_action)
    )
    fresh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fresh)
    return fresh.RemoteAction._validate_action_result


RASAS = _rasas_check()

ANSWERS = {
    "empty": {},
    "events and responses": {
        "events": [
            {"event": "slot", "name": "region", "value": "Lima"},
            {"event": "followup", "name": "action_handoff"},
            {"event": "pause"},
        ],
        "responses": [{"text": "Hola", "buttons": [{"title": "Sí", "payload": "/affirm"}]}],
    },
    "events not a list": {"events": {"event": "pause"}},
    "event without a name": {"events": [{"value": 3}]},
    "unknown event": {"events": [{"event": "teleport"}]},
    "slot without a name": {"events": [{"event": "slot", "value": "Lima"}]},
    "responses not objects": {"responses": ["Hola"]},
}


def _verdict(validate, answer):
    action = RemoteAction("action_ask_rating", None)
    try:
        return validate(action, answer)
    except ValidationError as error:
        return error.message


def test_the_comparison_is_with_rasas_own_code():
    assert RASAS.__module__ == "rasas_own_action_module"
    assert rasa_compat.hash_of(RASAS) == action_result_schema.VALIDATE.sha256


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_same_verdict_and_message_as_rasa(name):
    answer = ANSWERS[name]
    assert _verdict(action_result_schema.validate_action_result, answer) == _verdict(RASAS, answer)


def test_bad_answers_are_still_refused():
    refused = [
        name
        for name in ANSWERS
        if _verdict(action_result_schema.validate_action_result, ANSWERS[name]) is not True
    ]
    assert sorted(refused) == [
        "event without a name",
        "events not a list",
        "responses not objects",
        "slot without a name",
        "unknown event",
    ]


def test_install_replaces_rasas_check():
    action_result_schema.install()
    assert RemoteAction._validate_action_result is action_result_schema.validate_action_result
