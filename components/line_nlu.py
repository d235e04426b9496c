"""Custom NLU components: thin Rasa wrappers around the plain modules in `line/`.

They run after the model, so that what must never depend on a guess (danger,
places, categories) is decided by rules a content team can read and test.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.shared.constants import DEFAULT_NLU_FALLBACK_INTENT_NAME
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from components.stateless import StatelessComponent
from line.core import topics
from line.understanding import categories, cues, names, places, safety
from line.understanding.names import FAQ_INTENT, PERSON_INTENTS


class _TextComponent(StatelessComponent):
    """Reads the text of each message a person typed (not a button's payload)."""

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            if text and not text.startswith("/"):
                self.process_one(message, text)
        return messages

    def process_one(self, message: Message, text: str) -> None:
        raise NotImplementedError


def _set_intent(message: Message, name: str, confidence: float) -> None:
    """Replace the top intent but keep the model's ranking for later reading."""
    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
    message.set(INTENT, intent, add_to_output=True)
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)


def _add_entity(message: Message, entity: str, value: Any, extractor: str) -> None:
    entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != entity]
    entities.append({"entity": entity, "value": value, "extractor": extractor})
    message.set(ENTITIES, entities, add_to_output=True)


def _best_ranked(message: Message, candidates: List[str]) -> str:
    """The candidate topic the ResponseSelector ranked highest (the first if none is ranked)."""
    ranked = [topic for topic, _ in names.faq_ranking(message)]
    return min(candidates, key=lambda t: ranked.index(t) if t in ranked else len(ranked))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class FaqConfidenceGate(_TextComponent):
    """Falls back when the FAQ answer itself is uncertain, and keeps myth-busting
    answers for people who repeat a rumour.

    Rasa only checks the intent's confidence, so a confident `faq` intent with a
    coin-flip between two answers would still be answered (RasaHQ/rasa#9751).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"threshold": 0.4}

    def process_one(self, message: Message, text: str) -> None:
        intent = message.get(INTENT) or {}
        if intent.get(INTENT_NAME_KEY) != FAQ_INTENT:
            return
        selected = names.faq_selection(message).get("response") or {}
        confidence = selected.get("confidence") or 0.0
        if confidence < self.config["threshold"]:
            _set_intent(message, DEFAULT_NLU_FALLBACK_INTENT_NAME, confidence)
            return
        topic = names.topic_of_key(selected.get("intent_response_key"))
        candidates = topics.plain_question_topics().get(topic)
        if candidates and not cues.is_hearsay(text):
            plain = _best_ranked(message, candidates)
            # "¿Hay que pagar por la ayuda?" asked plainly gets the contract topic,
            # not "es un mito": the rumour answer is for "dicen que hay que pagar".
            selected["intent_response_key"] = names.faq_key(plain)
            selected["utter_action"] = names.faq_response(plain)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class IntentCues(_TextComponent):
    """Asking for a person, a personal case or a report of abuse never depends on
    the model alone (the contract says so), another country's procedures never
    get a Peru FAQ, a lone 👍 / 👎 rates the last answer, and a person who says they
    have no papers is marked so a person advises them (protection rule)."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def process_one(self, message: Message, text: str) -> None:
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        if cues.says_irregular_status(text):
            # Whatever the intent: after an answer on a status_sensitive topic, a person
            # advises them (actions/feedback.py), and any handoff says `legal`.
            message.set(names.IRREGULAR_STATUS_KEY, True, add_to_output=True)
        if intent in PERSON_INTENTS:
            return
        if cues.reports_abuse(text):
            # A FAQ answer is still given (it may hold the number to call); the
            # handoff follows it (actions/feedback.py). Anything else goes to a person.
            message.set(names.ABUSE_KEY, True, add_to_output=True)
            if intent != FAQ_INTENT:
                _set_intent(message, names.PERSONAL_CASE_INTENT, 1.0)
            return
        rating = cues.rating(text)
        if rating:
            _set_intent(message, rating, 1.0)
        elif cues.asks_for_person(text):
            _set_intent(message, names.REQUEST_HUMAN_INTENT, 1.0)
        elif cues.is_personal_case(text):
            _set_intent(message, names.PERSONAL_CASE_INTENT, 1.0)
        elif intent in (
            FAQ_INTENT,
            DEFAULT_NLU_FALLBACK_INTENT_NAME,
        ) and cues.asks_about_another_country(text):
            _set_intent(message, names.OUT_OF_SCOPE_INTENT, 1.0)


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=False,
)
class ServiceSearch(_TextComponent):
    """Finds the service category and place, and asking where one is makes a search.

    Entities are only added to searches and form answers, so a general question
    ("los albergues cobran?") never fills the search slots by accident.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"entity_intents": [names.FIND_SERVICE_INTENT, names.INFORM_INTENT]}

    def process_one(self, message: Message, text: str) -> None:
        intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
        category = categories.find_category(text)
        place = places.find_in_text(text)
        # "I need / I'm looking for ... in <place>" overrides the model only when
        # the model did not recognise a FAQ question ("necesito prueba para ir a cusco?").
        if (
            intent not in PERSON_INTENTS | {names.FIND_SERVICE_INTENT}
            and category
            and cues.asks_for_a_place(
                text, names_a_place=place is not None and intent != FAQ_INTENT
            )
        ):
            _set_intent(message, names.FIND_SERVICE_INTENT, 1.0)
            intent = names.FIND_SERVICE_INTENT
        if intent == names.INFORM_INTENT and not (category or place):
            # "Giving a place or category" with neither is a guess: ask instead.
            _set_intent(
                message,
                DEFAULT_NLU_FALLBACK_INTENT_NAME,
                (message.get(INTENT) or {}).get(PREDICTED_CONFIDENCE_KEY, 0.0),
            )
            return
        if intent not in self.config["entity_intents"]:
            return
        extractor = type(self).__name__
        if category:
            _add_entity(message, "service_category", category, extractor)
        if place:
            _add_entity(message, "region", place.region, extractor)
            if place.city:
                _add_entity(message, "city", place.city, extractor)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class SafetyNet(_TextComponent):
    """Turns any message about danger happening now into `emergency`.

    It runs last, so neither the model nor the fallback can hide a person in danger.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {}

    def process_one(self, message: Message, text: str) -> None:
        danger: Optional[safety.Danger] = safety.detect(text)
        if danger:
            _set_intent(message, names.EMERGENCY_INTENT, 1.0)
            # A property, not an entity: it names a situation, not words of the text.
            message.set(names.DANGER_KEY, danger.kind, add_to_output=True)
