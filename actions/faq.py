"""FAQ actions: answer a chosen topic, ask "¿Quisiste decir…?" when unsure, and offer the
answer to a question that came with a place request."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import LineAction, domain_text, latest_entity
from line.core import topics
from line.understanding import names

CANDIDATES = 2
MIN_CANDIDATE_CONFIDENCE = 0.1


def faq_candidates(parse_data: Dict[Text, Any], limit: int = CANDIDATES) -> List[Text]:
    """The topic ids the ResponseSelector found most likely, best first."""
    titles = topics.faq_titles()
    return [
        topic
        for topic, confidence in names.faq_ranking(parse_data)
        if confidence >= MIN_CANDIDATE_CONFIDENCE and topic in titles
    ][:limit]


def topic_button(topic: Text, title: Text) -> Dict[Text, Text]:
    """A button that answers `topic` (rule: choose_faq, then action_answer_faq)."""
    return {"title": title, "payload": f'/choose_faq{{"faq_topic": "{topic}"}}'}


def offer_topic_asked_too(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """A question asked together with a place ("¿dónde me vacuno en Piura y es gratis?")
    got the search; its answer is offered next, one button away."""
    topic = (tracker.latest_message or {}).get(names.ALSO_FAQ_TOPIC_KEY)
    titles = topics.faq_titles()
    if topic in titles:
        dispatcher.utter_message(
            response="utter_offer_topic_asked_too", buttons=[topic_button(topic, titles[topic])]
        )


class ActionAnswerFaq(LineAction):
    """Answers the topic a person picked from the "¿Quisiste decir…?" buttons."""

    NAME = "action_answer_faq"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        topic = latest_entity(tracker, "faq_topic")
        if topic in topics.faq_titles():
            dispatcher.utter_message(response=names.faq_response(topic))
        else:
            dispatcher.utter_message(response="utter_how_can_help")
        return []


class ActionClarify(LineAction):
    """One attempt to understand before a person takes over (the rules do the rest)."""

    NAME = "action_clarify"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[EventType]:
        human = {"title": domain_text(domain, "utter_button_human"), "payload": "/request_human"}
        latest = tracker.latest_message or {}
        candidates = faq_candidates(latest)
        if not candidates:
            dispatcher.utter_message(response="utter_clarify_no_guess", buttons=[human])
        else:
            titles = topics.faq_titles()
            buttons = [topic_button(topic, titles[topic]) for topic in candidates]
            dispatcher.utter_message(response=names.CLARIFY_RESPONSE, buttons=buttons + [human])
        if latest.get(names.RISK_KEY):
            # Unsure what the person means, but something in it sounds like risk.
            dispatcher.utter_message(response="utter_safety_line")
        return []
