"""Session start: a short line on what the line does and that it is confidential."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted
from rasa_sdk.executor import CollectingDispatcher

from actions.common import LineAction


class ActionSessionStart(LineAction):
    NAME = "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        dispatcher.utter_message(response="utter_session_intro")
        return [SessionStarted(), ActionExecuted("action_listen")]
