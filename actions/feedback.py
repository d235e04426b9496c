"""Feedback from the person: 👍 / 👎 on FAQ answers; their rights over their data,
"qué datos tienen de mí" and "borrar mis datos"."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import STORAGE_ERRORS, LineAction, latest_entity, latest_intent
from line.core.background import Background
from line.core.settings import settings
from line.feedback import erasure, ratings
from line.handoff import request
from line.privacy import rights
from line.understanding import names

logger = logging.getLogger(__name__)

RATED_SLOT = "rating_asked"
# A tapped 👍, or a typed "sí" to "¿Te sirvió?".
USEFUL_INTENTS = {names.RATE_USEFUL_INTENT, "affirm"}


class ActionAskRating(LineAction):
    """Asks "¿Te sirvió?" after an FAQ answer, at most once per session and topic,
    so people are not asked after every answer; hands off instead when the
    message reported abuse, or when a person without papers asked about a
    status_sensitive topic (components/understanding.py)."""

    NAME = "action_ask_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        latest = tracker.latest_message or {}
        topic = names.last_faq_topic(tracker.events)
        if latest.get(names.ABUSE_KEY) or request.needs_legal_advice(latest, topic):
            # After the answer, a person, not a rating (action_handoff says why).
            return [FollowupAction("action_handoff")]
        asked = list(tracker.get_slot(RATED_SLOT) or [])
        if topic is None or topic in asked:
            return []
        dispatcher.utter_message(response=names.ASK_RATING_RESPONSE, faq_topic=topic)
        return [SlotSet(RATED_SLOT, asked + [topic])]


def rated_topic(tracker: Tracker) -> Optional[Text]:
    """The topic on the button that was tapped, else the last FAQ answer given."""
    return latest_entity(tracker, "faq_topic") or names.last_faq_topic(tracker.events)


class ActionRateAnswer(LineAction):
    """Stores a 👍 / 👎; the rules then thank, or offer a person after a 👎."""

    NAME = "action_rate_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        topic = rated_topic(tracker)
        if topic is None:
            return []
        try:
            await asyncio.to_thread(
                ratings.record, tracker.sender_id, topic, latest_intent(tracker) in USEFUL_INTENTS
            )
        except STORAGE_ERRORS:
            # A lost rating must not cost the person the answer that follows.
            logger.exception("rating of %s could not be stored", topic)
        return []


class ActionEraseData(LineAction):
    """Erases the person's data after they confirmed (line/feedback/erasure.py); the
    conversation itself goes once this turn is stored."""

    NAME = "action_erase_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        try:
            await asyncio.to_thread(erasure.request, tracker.sender_id)
        except STORAGE_ERRORS:
            logger.exception("erasure request could not be stored")
            dispatcher.utter_message(response="utter_erase_failed")
            return []
        _sweep_later()
        dispatcher.utter_message(response="utter_erase_done")
        return []


class ActionShowMyData(LineAction):
    """Tells the person, after they confirmed, what is stored about them and for how
    long: counts only (line/privacy/rights.py), never what they said."""

    NAME = "action_show_my_data"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        try:
            found = await asyncio.to_thread(rights.summary, tracker.sender_id)
        except STORAGE_ERRORS:
            logger.exception("the summary of stored data could not be read")
            dispatcher.utter_message(response="utter_my_data_failed")
            return []
        if found.empty:
            dispatcher.utter_message(response="utter_my_data_none")
        else:
            dispatcher.utter_message(
                response="utter_my_data_summary",
                conversations=found.conversations,
                messages=found.messages,
                open_tickets=found.open_tickets,
                closed_tickets=found.closed_tickets,
                ratings=found.ratings,
                media=found.media,
            )
        dispatcher.utter_message(
            response="utter_my_data_contact_kept"
            if found.whatsapp_contact
            else "utter_my_data_no_contact"
        )
        if found.alerts:
            dispatcher.utter_message(response="utter_my_data_alerts")
        dispatcher.utter_message(response="utter_my_data_retention", days=found.retention_days)
        return []


def _sweep_later() -> None:
    """Finishes the erasure in the background once the grace time has passed;
    `make report` sweeps too, so a restart in between loses nothing."""

    async def sweep() -> None:
        await pause(settings.erasure_grace_seconds + 1)
        try:
            await asyncio.to_thread(erasure.sweep)
        except STORAGE_ERRORS:
            logger.exception("erasure sweep failed; the next sweep retries it")

    SWEEPS.spawn(sweep())


# Erasures waiting for their grace time in this action server, and the clock they wait on
# (tests replace it).
SWEEPS = Background()
pause = asyncio.sleep
