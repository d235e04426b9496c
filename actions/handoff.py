"""action_handoff: the emergency number first when in danger, then a person.

line/handoff/request.py decides the ticket (reason, topic, context, priority) and what the
person is told; this action reads the tracker, says it and pauses the bot."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import LineAction
from line.handoff import request, spool

logger = logging.getLogger(__name__)


def handoff_of(tracker: Tracker, failure: Optional[str] = None) -> request.Handoff:
    return request.from_conversation(
        tracker.sender_id,
        tracker.events,
        tracker.latest_message or {},
        {
            "service_category": tracker.get_slot("service_category"),
            "region": tracker.get_slot("region"),
        },
        tracker.get_latest_input_channel(),
        failure,
    )


async def hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, failure: Optional[str] = None
) -> List[EventType]:
    """Queue the person for an operator (the emergency number first when in danger), tell
    them what happens next and pause the bot. `failure`: the line itself failed. When the
    database is down the ticket is kept and written later (line/handoff/spool.py)."""
    handoff = handoff_of(tracker, failure)
    if handoff.emergency_response:
        dispatcher.utter_message(response=handoff.emergency_response)
    try:
        receipt = await asyncio.to_thread(spool.open_or_keep, handoff)
    except OSError:
        logger.exception(
            "NO TICKET for %s: neither the database nor the spool took it", tracker.sender_id
        )
        dispatcher.utter_message(response="utter_handoff_failed")
        return []
    response, values = request.reply(handoff, receipt)
    dispatcher.utter_message(response=response, **values)
    return [ConversationPaused()]


class ActionHandoff(LineAction):
    NAME = "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return await hand_over(dispatcher, tracker)
