"""Alerts in the conversation (line/alerts): the offer with its consent, saying yes,
and "BAJA", which stops everything at once."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import STORAGE_ERRORS, LineAction, domain_text, latest_intent
from actions.handoff import hand_over
from line.alerts import offer, subscriptions
from line.core import topics
from line.understanding import names

logger = logging.getLogger(__name__)

# The consent shown and waiting for a yes: {"topic", "region", "text"}.
OFFER_SLOT = "alerts_offer"
# Offered in this session already: the one-time offer never comes twice.
OFFERED_SLOT = "alerts_offered"
OFFER_RESPONSE = "utter_alerts_offer"


def scope_words(scope: offer.Scope, domain: Dict[Text, Any]) -> Dict[Text, Text]:
    """The topic's title and the region as the person reads them, "every" in words."""
    return {
        "topic": topics.faq_titles().get(scope.topic or "")
        or domain_text(domain, "utter_alerts_any_topic"),
        "region": scope.region or domain_text(domain, "utter_alerts_any_region"),
    }


class ActionOfferAlerts(LineAction):
    """Shows what alerts the person would get and asks for a yes: always when they asked
    ("quiero recibir avisos"), and once a session after a useful answer when nothing in
    the session makes it the wrong moment (line/alerts/offer.py)."""

    NAME = "action_offer_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        asked = latest_intent(tracker) == names.SUBSCRIBE_ALERTS_INTENT
        channel = tracker.get_latest_input_channel()
        if asked and channel not in subscriptions.CHANNELS:
            dispatcher.utter_message(response="utter_alerts_unavailable")
            return []
        try:
            current = await asyncio.to_thread(subscriptions.subscriber, tracker.sender_id)
        except STORAGE_ERRORS:
            logger.exception("alert subscription could not be read")
            if asked:
                dispatcher.utter_message(response="utter_alerts_failed")
                return await hand_over(dispatcher, tracker, failure="alerts: subscription unread")
            return []
        subscribed = current is not None and current.active
        offered = bool(tracker.get_slot(OFFERED_SLOT))
        if not asked and not offer.may_offer(tracker.events, offered, subscribed, channel):
            return []
        scope = offer.scope(names.last_faq_topic(tracker.events), tracker.get_slot("region"))
        text = offer.fill(domain_text(domain, OFFER_RESPONSE), **scope_words(scope, domain))
        buttons = domain["responses"][OFFER_RESPONSE][0].get("buttons", [])
        dispatcher.utter_message(text=text, buttons=buttons)
        shown = {"topic": scope.topic, "region": scope.region, "text": text}
        return [SlotSet(OFFERED_SLOT, True), SlotSet(OFFER_SLOT, shown)]


class ActionSubscribeAlerts(LineAction):
    """The yes to an offer: keeps the subscription with the exact words shown."""

    NAME = "action_subscribe_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        shown = tracker.get_slot(OFFER_SLOT)
        if not shown:
            # A "sí" with no offer waiting (one was not made, or was already answered).
            dispatcher.utter_message(response="utter_how_can_help")
            return []
        scope = offer.Scope(shown.get("topic"), shown.get("region"))
        try:
            await asyncio.to_thread(
                subscriptions.subscribe,
                tracker.sender_id,
                tracker.get_latest_input_channel(),
                shown["text"],
                scope.topics,
                scope.region,
            )
        except (subscriptions.SubscriptionError, *STORAGE_ERRORS) as exc:
            logger.error("alert subscription not kept: %s", type(exc).__name__)
            dispatcher.utter_message(response="utter_alerts_failed")
            return [SlotSet(OFFER_SLOT, None)] + await hand_over(
                dispatcher, tracker, failure="alerts: subscription not kept"
            )
        dispatcher.utter_message(response="utter_alerts_subscribed", **scope_words(scope, domain))
        return [SlotSet(OFFER_SLOT, None)]


class ActionDeclineAlerts(LineAction):
    """The no to an offer; a "no" with no offer waiting is not about alerts."""

    NAME = "action_decline_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        if not tracker.get_slot(OFFER_SLOT):
            dispatcher.utter_message(response="utter_how_can_help")
            return []
        dispatcher.utter_message(response="utter_alerts_declined")
        return [SlotSet(OFFER_SLOT, None)]


class ActionStopAlerts(LineAction):
    """ "BAJA": no alert reaches the person after this; the confirmation is the last
    message they get about alerts. If it cannot be stored, a person makes sure of it."""

    NAME = "action_stop_alerts"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        return await stop_alerts(dispatcher, tracker)


async def stop_alerts(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
    """Opt out now and say so; also while an operator holds the conversation
    (actions/paused.py), since a broadcast would not wait for the operator."""
    done = [SlotSet(OFFER_SLOT, None), SlotSet(OFFERED_SLOT, True)]
    try:
        stopped = await asyncio.to_thread(subscriptions.opt_out, tracker.sender_id)
    except STORAGE_ERRORS:
        logger.exception("opt-out could not be stored")
        dispatcher.utter_message(response="utter_alerts_failed")
        return done + await hand_over(dispatcher, tracker, failure="alerts: opt-out not kept")
    dispatcher.utter_message(
        response="utter_alerts_stopped" if stopped else "utter_alerts_none_active"
    )
    return done
