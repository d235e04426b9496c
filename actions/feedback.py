"""Feedback from the person: 👍 / 👎 on FAQ answers, and "borrar mis datos"."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import latest_entity, latest_intent
from actions.handoff import ABUSE_KEY, faq_topic
from line import erasure, ratings
from line.db import DirectoryUnavailable
from line.settings import settings

logger = logging.getLogger(__name__)

RATED_SLOT = "rating_asked"
# A tapped 👍, or a typed "sí" to "¿Te sirvió?".
USEFUL_INTENTS = {"rate_useful", "affirm"}
STORAGE_ERRORS = (DirectoryUnavailable, SQLAlchemyError, OSError)


class ActionAskRating(Action):
    """Asks "¿Te sirvió?" after an FAQ answer, at most once per session and topic,
    so people are not asked after every answer; hands off instead when the
    message reported abuse (components/line_nlu.py, IntentCues)."""

    def name(self) -> Text:
        return "action_ask_rating"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if (tracker.latest_message or {}).get(ABUSE_KEY):
            # Abuse was reported: after the answer, a person, not a rating.
            return [FollowupAction("action_handoff")]
        topic = faq_topic(tracker)
        asked = list(tracker.get_slot(RATED_SLOT) or [])
        if topic is None or topic in asked:
            return []
        dispatcher.utter_message(response="utter_ask_rating", faq_topic=topic)
        return [SlotSet(RATED_SLOT, asked + [topic])]


def rated_topic(tracker: Tracker) -> Optional[Text]:
    """The topic on the button that was tapped, else the last FAQ answer given."""
    return latest_entity(tracker, "faq_topic") or faq_topic(tracker)


class ActionRateAnswer(Action):
    """Stores a 👍 / 👎; the rules then thank, or offer a person after a 👎."""

    def name(self) -> Text:
        return "action_rate_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        topic = rated_topic(tracker)
        if topic is None:
            return []
        try:
            await asyncio.to_thread(ratings.record, tracker.sender_id, topic,
                                    latest_intent(tracker) in USEFUL_INTENTS)
        except STORAGE_ERRORS:
            # A lost rating must not cost the person the answer that follows.
            logger.exception("rating of %s could not be stored", topic)
        return []


class ActionEraseData(Action):
    """Erases the person's data after they confirmed (line/erasure.py); the
    conversation itself goes once this turn is stored."""

    def name(self) -> Text:
        return "action_erase_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        try:
            await asyncio.to_thread(erasure.request, tracker.sender_id)
        except STORAGE_ERRORS:
            logger.exception("erasure request could not be stored")
            dispatcher.utter_message(response="utter_erase_failed")
            return []
        _sweep_later()
        dispatcher.utter_message(response="utter_erase_done")
        return []


def _sweep_later() -> None:
    """Finishes the erasure in the background once the grace time has passed;
    `make report` sweeps too, so a restart in between loses nothing."""
    async def sweep() -> None:
        await asyncio.sleep(settings.erasure_grace_seconds + 1)
        try:
            await asyncio.to_thread(erasure.sweep)
        except STORAGE_ERRORS:
            logger.exception("erasure sweep failed; the next sweep retries it")

    _pending_sweeps.add(task := asyncio.get_running_loop().create_task(sweep()))
    task.add_done_callback(_pending_sweeps.discard)


# Keeps a reference to running sweeps: the event loop holds tasks only weakly.
_pending_sweeps: set = set()
