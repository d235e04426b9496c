"""The wrapper of RemoteAction.run (components/resilience.py) skips the slot-mapping
check Rasa asks for after every message unless a person is waiting for an operator."""

import asyncio

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.constants import ACTION_VALIDATE_SLOT_MAPPINGS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from components import rasa_compat, resilience

pytestmark = pytest.mark.unit


@pytest.fixture
def calls(monkeypatch):
    """Rasa's own run replaced by a recorder: which actions reached the action server."""
    made = []

    async def recorded(self, output_channel, nlg, tracker, domain):
        made.append(self.name())
        return []

    monkeypatch.setattr(rasa_compat, "original", lambda function: recorded)
    return made


def run(action_name, paused):
    events = [UserUttered("me estan golpeando", {"name": "emergency"})]
    if paused:
        events.insert(0, ConversationPaused())
    tracker = DialogueStateTracker.from_events("someone", events)
    action = RemoteAction(action_name, EndpointConfig("http://127.0.0.1:9/webhook"))
    return asyncio.run(resilience.run_or_hand_over(action, None, None, tracker, Domain.empty()))


def test_the_check_after_every_message_is_not_called_in_a_conversation_not_paused(calls):
    assert run(ACTION_VALIDATE_SLOT_MAPPINGS, paused=False) == []
    assert calls == []


def test_the_check_is_called_while_a_person_waits_for_an_operator(calls):
    run(ACTION_VALIDATE_SLOT_MAPPINGS, paused=True)
    assert calls == [ACTION_VALIDATE_SLOT_MAPPINGS]


def test_other_actions_are_always_called(calls):
    run("action_find_services", paused=False)
    assert calls == ["action_find_services"]
