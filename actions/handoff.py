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
from line.understanding import names

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
    if not await tell_and_queue(dispatcher, handoff):
        return []
    return [ConversationPaused()]


async def tell_and_queue(dispatcher: CollectingDispatcher, handoff: request.Handoff) -> bool:
    """The emergency numbers first when in danger, the ticket, then what happens next.
    False when no ticket could be kept at all (the person is told)."""
    if handoff.emergency_response:
        dispatcher.utter_message(response=handoff.emergency_response)
    try:
        receipt = await asyncio.to_thread(spool.open_or_keep, handoff)
    except OSError:
        logger.exception(
            "NO TICKET for %s: neither the database nor the spool took it", handoff.sender_id
        )
        dispatcher.utter_message(response="utter_handoff_failed")
        return False
    response, values = request.reply(handoff, receipt)
    dispatcher.utter_message(response=response, **values)
    return True


class ActionHandoff(LineAction):
    NAME = "action_handoff"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return await hand_over(dispatcher, tracker)


class ActionReplyInLanguage(LineAction):
    """A short reply in the person's language (the line works in Spanish) before a person
    takes over; the ticket records the language."""

    NAME = "action_reply_in_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        language = (tracker.latest_message or {}).get(names.LANGUAGE_KEY)
        if language in names.OTHER_LANGUAGES:
            dispatcher.utter_message(response=f"utter_other_language_{language}")
        else:
            dispatcher.utter_message(response="utter_out_of_scope")
        return []
