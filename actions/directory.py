"""Service search: the form that collects category and place, and the results."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable, Dict, List, Optional, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import ConversationPaused, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import LineAction, domain_text, latest_entity, latest_intent, latest_text
from actions.faq import offer_topic_asked_too
from actions.handoff import hand_over
from line.core.db import DatabaseUnavailable
from line.core.settings import settings
from line.directory import search
from line.directory.store import ServiceView
from line.privacy.events import LOCATION_KEYS
from line.understanding import categories, names, places

logger = logging.getLogger(__name__)

# Intents with which a person answers the form's question; anything else is a
# change of topic that the rules handle before the form resumes.
ANSWER_INTENTS = {
    names.INFORM_INTENT,
    names.FIND_SERVICE_INTENT,
    names.NLU_FALLBACK_INTENT,
    names.OUT_OF_SCOPE_INTENT,
}


def shared_location(tracker: Tracker) -> tuple[Optional[float], Optional[float]]:
    """Latitude and longitude of a WhatsApp location pin, if the person sent one."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            try:
                latitude, longitude = (float(metadata[key]) for key in LOCATION_KEYS)
                return latitude, longitude
            except (KeyError, TypeError, ValueError):
                return None, None
    return None, None


def read_place(text: Text) -> Dict[Text, Any]:
    place = places.resolve(text)
    return {"region": place.region, "city": place.city} if place else {}


def read_category(text: Text) -> Dict[Text, Any]:
    category = categories.find_category(text)
    return {"service_category": category} if category else {}


def service_message(service: ServiceView, domain: DomainDict) -> Dict[Text, Any]:
    """Template values of utter_service_item; missing facts say so plainly."""
    missing = domain_text(domain, "utter_unknown_value")
    if service.cost_note:
        cost = service.cost_note
    elif service.cost_free is None:
        cost = missing
    else:
        cost = domain_text(domain, "utter_cost_free" if service.cost_free else "utter_cost_paid")
    verified = service.last_verified.strftime("%d/%m/%Y") if service.last_verified else missing
    return {
        "name": service.name,
        "address": service.address or missing,
        "phone": service.phone or missing,
        "hours": service.hours or missing,
        "cost": cost,
        "verified": verified,
    }


async def show_results(
    dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict, offset: int
) -> List[EventType]:
    """One page of results for the current slots, and "ver más" when there are more."""
    category = tracker.get_slot("service_category")
    region = tracker.get_slot("region")
    city = tracker.get_slot("city")
    place = city or region
    latitude, longitude = shared_location(tracker)
    try:
        result = await asyncio.to_thread(
            search.search,
            category,
            region,
            city=city,
            lat=latitude,
            lon=longitude,
            offset=offset,
            limit=settings.directory_page_size,
        )
    except DatabaseUnavailable as exc:
        # The person asked for help we cannot give now: a person searches for them.
        logger.exception("directory search failed")
        dispatcher.utter_message(response="utter_directory_unavailable")
        return await hand_over(dispatcher, tracker, failure=str(exc))
    if not result.services:
        if offset:
            dispatcher.utter_message(response="utter_services_no_more")
        else:
            dispatcher.utter_message(response="utter_services_none", place=place)
            dispatcher.utter_message(response="utter_offer_human")
        return [SlotSet("results_shown", float(offset))]
    if offset == 0:
        if result.nearby:
            dispatcher.utter_message(
                response="utter_services_found_nearby", place=place, region=result.region_used
            )
        else:
            dispatcher.utter_message(response="utter_services_found", place=place)
    for service in result.services:
        response = "utter_service_item_sample" if service.is_sample else "utter_service_item"
        dispatcher.utter_message(response=response, **service_message(service, domain))
    shown = offset + len(result.services)
    if shown < result.total:
        dispatcher.utter_message(response="utter_services_more")
    return [SlotSet("results_shown", float(shown))]


class ActionFindServices(LineAction):
    NAME = "action_find_services"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        events = await show_results(dispatcher, tracker, domain, offset=0)
        if ConversationPaused() not in events:
            offer_topic_asked_too(dispatcher, tracker)
        return events


class ActionShowMore(LineAction):
    NAME = "action_show_more"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        if not (tracker.get_slot("service_category") and tracker.get_slot("region")):
            dispatcher.utter_message(response="utter_how_can_help")
            return []
        offset = int(tracker.get_slot("results_shown") or 0)
        return await show_results(dispatcher, tracker, domain, offset=offset)


class ValidateServiceSearchForm(FormValidationAction):
    """Tells the person kindly when a place or category was not understood."""

    def name(self) -> Text:
        return "validate_service_search_form"

    def _read_answer(
        self,
        slot: Text,
        read: Callable[[Text], Dict[Text, Any]],
        response: Text,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> Dict[Text, Any]:
        """Reads the answer to the form's question about `slot` from the raw text.

        The model may call a short answer ("por bellavista") anything, so the
        text itself is read. A message that is no answer is left to the rules
        (a FAQ mid-search); an answer that can't be read is said kindly.
        """
        intent = latest_intent(tracker)
        if (
            tracker.get_slot("requested_slot") != slot
            or intent in names.PERSON_INTENTS
            or latest_entity(tracker, slot) is not None
        ):
            return {}
        found = read(latest_text(tracker))
        if found:
            return found
        if intent not in ANSWER_INTENTS:
            return {}
        dispatcher.utter_message(response=response)
        dispatcher.utter_message(response="utter_offer_human")
        return {slot: None}

    async def extract_region(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        latitude, longitude = shared_location(tracker)
        if latitude is not None and not tracker.get_slot("region"):
            place = places.nearest(latitude, longitude)
            if place:
                return {"region": place.region, "city": place.city}
        return self._read_answer("region", read_place, "utter_place_unknown", dispatcher, tracker)

    @staticmethod
    def _need_told_before(tracker: Tracker) -> Optional[Text]:
        """The service behind the FAQ answered just before ("¿hay albergues?" … "estoy en
        Juliaca"), else the need named without a place ("necesito un dentista para mi
        hija" … "vivo en Chiclayo")."""
        answered = names.faq_topic_answered_before(tracker.events)
        return categories.faq_topic_categories().get(answered or "") or tracker.get_slot(
            names.NEED_CATEGORY
        )

    async def extract_service_category(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        unnamed = not (
            tracker.get_slot("service_category")
            or latest_entity(tracker, "service_category")
            or read_category(latest_text(tracker))
        )
        need = unnamed and self._need_told_before(tracker)
        if need:
            return {"service_category": need}
        return self._read_answer(
            "service_category", read_category, "utter_category_unknown", dispatcher, tracker
        )
