"""The cached check of action server answers agrees with Rasa's own, answer by answer."""
import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from components import action_result_schema

ORIGINAL = RemoteAction._validate_action_result

ANSWERS = {
    "empty": {},
    "events and responses": {
        "events": [{"event": "slot", "name": "region", "value": "Lima"},
                   {"event": "followup", "name": "action_handoff"},
                   {"event": "pause"}],
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


@pytest.mark.parametrize("name", sorted(ANSWERS))
def test_same_verdict_and_message_as_rasa(name):
    answer = ANSWERS[name]
    assert _verdict(action_result_schema.validate_action_result, answer) == \
        _verdict(ORIGINAL, answer)


def test_bad_answers_are_still_refused():
    refused = [name for name in ANSWERS
               if _verdict(action_result_schema.validate_action_result, ANSWERS[name]) is not True]
    assert sorted(refused) == ["event without a name", "events not a list",
                               "responses not objects", "slot without a name",
                               "unknown event"]


def test_install_replaces_rasas_check(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", ORIGINAL)
    action_result_schema.install()
    assert RemoteAction._validate_action_result is action_result_schema.validate_action_result
