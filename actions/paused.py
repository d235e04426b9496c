"""What cannot wait for the operator while one holds the conversation.

The bot is paused then, so no rule runs; Rasa 3.6 still runs its slot-mapping validation
action after reading every message, and sends what it says (a custom slot mapping's
messages are dropped). Two things are answered there:
- danger: the numbers go out at once and the ticket moves to the front of the queue;
- "BAJA": alerts stop at once, and the person is told (a broadcast would not wait).
Not paused, or anything else: nothing (the rules answer as usual)."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ACTION_VALIDATE_SLOT_MAPPINGS

from actions.alerts import stop_alerts
from actions.common import LineAction, latest_intent, latest_text
from actions.handoff import handoff_of, tell_and_queue
from line.understanding import names


class ActionWhilePaused(LineAction):
    NAME = ACTION_VALIDATE_SLOT_MAPPINGS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if not tracker.is_paused():
            return []
        intent = latest_intent(tracker)
        if intent == names.UNSUBSCRIBE_ALERTS_INTENT:
            return await stop_alerts(dispatcher, tracker)
        if intent == names.EMERGENCY_INTENT:
            handoff = dataclasses.replace(
                handoff_of(tracker), messages=(("user", latest_text(tracker)),)
            )
            await tell_and_queue(dispatcher, handoff)
        return []
