"""What the line understands in a message, after the model: thin Rasa wrappers around
line/understanding/.

- LineRouter is trained with the model: the line's own TF-IDF reader (router.py) of every
  intent, FAQ topic and kind of danger, and of how close a message is to an FAQ topic.
- Understanding blends what DIET, the ResponseSelector and the router said, reads the
  lexicons and the language, and lets line/understanding/precedence.py decide the one
  intent the line acts on: danger, another language, a personal case, a person, a place,
  an FAQ, no topic. Its thresholds are chosen on tests/dev/ (docs/model.md).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    INTENT_RESPONSE_KEY,
    METADATA,
    METADATA_INTENT,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from components.stateless import StatelessComponent
from line.understanding import categories, cues, names
from line.understanding.precedence import decide
from line.understanding.reading import ModelView, Reading, Thresholds, blend_topics, read
from line.understanding.router import REGULARISATION, IntentRouter, RouterReading, label_of

ROUTER_KEY = "line_router"
# Entities a decision adds to the message, for the search form's slots.
CATEGORY_ENTITY, REGION_ENTITY, CITY_ENTITY = "service_category", "region", "city"
# Topics both models rank, whose closeness the router measures.
CANDIDATE_TOPICS = 5


def _typed(message: Message) -> Optional[str]:
    """The text a person typed (a button's payload starts with "/")."""
    text = message.get(TEXT) or ""
    return text if text and not text.startswith("/") else None


def router_examples(training_data: TrainingData) -> tuple[list[str], list[str]]:
    """Each intent example's text and its router label (`label_of`)."""
    texts, labels = [], []
    for example in training_data.intent_examples:
        intent = example.get(INTENT)
        topic = names.topic_of_key(example.get(INTENT_RESPONSE_KEY) or "") or None
        kind = ((example.get(METADATA) or {}).get(METADATA_INTENT) or {}).get("kind")
        texts.append(example.get(TEXT))
        labels.append(label_of(intent, topic, kind))
    return texts, labels


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class LineRouter(GraphComponent):
    """Trains and runs line/understanding/router.py; adds its reading to each message."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {"regularisation": REGULARISATION}

    def __init__(
        self,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        router: Optional[IntentRouter] = None,
    ) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.router = router

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> "LineRouter":
        return cls(config, model_storage, resource)

    def train(self, training_data: TrainingData) -> Resource:
        """From scratch, or under `rasa train --finetune` (loaded with the model's router)
        from that router's weights: the same model in about half the time
        (IntentRouter.fit; docs/training.md "Faster publishing")."""
        texts, labels = router_examples(training_data)
        self.router = IntentRouter(self.config["regularisation"]).fit(texts, labels, self.router)
        with self._model_storage.write_to(self._resource) as folder:
            self.router.save(folder)
        return self._resource

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "LineRouter":
        with model_storage.read_from(resource) as folder:
            router = IntentRouter.load(folder, config["regularisation"])
        return cls(config, model_storage, resource, router)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = _typed(message)
            if text and self.router is not None:
                selector = [topic for topic, _ in names.faq_ranking(message)]
                reading = self.router.read(text, selector[:CANDIDATE_TOPICS], CANDIDATE_TOPICS)
                message.set(ROUTER_KEY, reading)
        return messages


@DefaultV1Recipe.register(
    [
        DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER,
        DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR,
    ],
    is_trainable=False,
)
class Understanding(StatelessComponent):
    """Decides the intent the line acts on (line/understanding/precedence.py) and adds the
    category, place, danger, language and risk the actions read."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            # How much of the intents and FAQ topics comes from the router (the rest: DIET
            # and the ResponseSelector).
            "router_weight": 0.5,
            # Below this blended probability, with no signal, the line asks to rephrase.
            "fallback": 0.45,
            "danger": 0.5,
            "risk": 0.2,
            "personal_case": 0.3,
            "wants_person": 0.5,
            "place_request": 0.5,
            "faq": 0.5,
            "faq_gate": 0.3,
            # A close FAQ answer at least this likely beats the models' personal-case reading.
            "faq_over_case": 1.01,
            "faq_close": 0.0,
            "faq_far": 0.0,
            "faq_margin": -1.0,
            "faq_margin_under": 1.01,
            "faq_unfamiliar": 1.01,
            "faq_unfamiliar_no_topic": 1.01,
            "no_topic": 0.3,
            "no_topic_over_place": 1.01,
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        super().__init__(config)
        self.limits = Thresholds.of(config)

    def process(self, messages: List[Message]) -> List[Message]:
        for message in messages:
            text = _typed(message)
            if text:
                self.understand(message, text)
        return messages

    def model_view(self, message: Message, router: Optional[RouterReading]) -> ModelView:
        weight = self.config["router_weight"] if router else 0.0
        diet = {
            row[INTENT_NAME_KEY]: row[PREDICTED_CONFIDENCE_KEY]
            for row in message.get(INTENT_RANKING_KEY) or []
        }
        routed = router.intents if router else {}
        intents = {
            intent: (1 - weight) * diet.get(intent, 0.0) + weight * routed.get(intent, 0.0)
            for intent in set(diet) | set(routed)
        }
        ranking = blend_topics(
            dict(names.faq_ranking(message)), router.faq_topics if router else {}, weight
        )
        topic, confidence = ranking[0] if ranking else (None, 0.0)
        return ModelView(
            intents=intents,
            danger=router.danger if router else 0.0,
            danger_kind=router.danger_kind if router else None,
            faq_topic=topic,
            faq_confidence=confidence,
            faq_closeness=(router.closeness.get(topic, 0.0) if router and topic else 0.0),
            no_topic_closeness=router.no_topic_closeness if router else 0.0,
            faq_unfamiliar=(router.unfamiliar.get(topic, 0.0) if router and topic else 0.0),
            faq_ranking=tuple(t for t, _ in ranking),
        )

    def understand(self, message: Message, text: str) -> None:
        command = cues.rating(text) or cues.alerts_command(text)
        if command:
            _set_intent(message, command)
            return
        view = self.model_view(message, message.get(ROUTER_KEY))
        reading = read(text, view, self.limits, categories.faq_topic_categories())
        decision = decide(reading.signals)
        intent = decision.intent or self._model_intent(view, reading)
        _set_intent(message, intent, 1.0 if decision.intent else view.intents.get(intent, 0.0))
        if reading.signals.danger:
            message.set(names.DANGER_KEY, reading.signals.danger, add_to_output=True)
        if reading.signals.language:
            message.set(names.LANGUAGE_KEY, reading.signals.language, add_to_output=True)
        if reading.abuse:
            message.set(names.ABUSE_KEY, True, add_to_output=True)
        if cues.says_irregular_status(text):
            # After an answer on a status_sensitive topic, a person advises (reason legal).
            message.set(names.IRREGULAR_STATUS_KEY, True, add_to_output=True)
        if reading.risk:
            message.set(names.RISK_KEY, True, add_to_output=True)
        if decision.also:
            message.set(names.ALSO_KEY, list(decision.also), add_to_output=True)
            if names.FAQ_INTENT in decision.also and reading.faq_topic:
                message.set(names.ALSO_FAQ_TOPIC_KEY, reading.faq_topic, add_to_output=True)
        if intent == names.FAQ_INTENT and reading.faq_topic:
            _select_topic(message, reading.faq_topic, view.faq_confidence)
        if intent in (names.FIND_SERVICE_INTENT, names.INFORM_INTENT):
            _add_entity(message, CATEGORY_ENTITY, reading.category)
            if reading.place:
                _add_entity(message, REGION_ENTITY, reading.place.region)
                _add_entity(message, CITY_ENTITY, reading.place.city)
        elif reading.category and intent == names.NLU_FALLBACK_INTENT:
            # Asked "¿Quisiste decir…?", the need is kept for a place told next.
            _add_entity(message, names.NEED_CATEGORY, reading.category)

    def _model_intent(self, view: ModelView, reading: Reading) -> str:
        """No signal won: the model's own intent, unless it is one only a signal may give
        (those need their threshold) or too unsure to act on."""
        intent = max(view.intents, key=view.intents.get) if view.intents else None
        if intent == names.INFORM_INTENT and not (reading.category or reading.place):
            return names.NLU_FALLBACK_INTENT
        if (
            intent is None
            or intent in SIGNAL_INTENTS
            or view.intents[intent] < self.config["fallback"]
        ):
            return names.NLU_FALLBACK_INTENT
        return intent


# Intents that only a signal of the precedence gives: the model alone never decides them.
SIGNAL_INTENTS = frozenset(
    {
        names.EMERGENCY_INTENT,
        names.PERSONAL_CASE_INTENT,
        names.COMPLAINT_INTENT,
        names.REQUEST_HUMAN_INTENT,
        names.OUT_OF_SCOPE_INTENT,
        names.FAQ_INTENT,
        names.OTHER_LANGUAGE_INTENT,
    }
)


def _set_intent(message: Message, name: str, confidence: float = 1.0) -> None:
    """Replace the top intent but keep the model's ranking for later reading."""
    intent = {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: confidence}
    ranking = [r for r in message.get(INTENT_RANKING_KEY) or [] if r.get(INTENT_NAME_KEY) != name]
    message.set(INTENT, intent, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [intent] + ranking, add_to_output=True)


def _select_topic(message: Message, topic: str, confidence: float) -> None:
    """Make the FAQ answer the one both models agree on (and the rumour rule chose)."""
    selected = names.faq_selection(message).get("response")
    if selected is not None:
        selected["intent_response_key"] = names.faq_key(topic)
        selected["utter_action"] = names.faq_response(topic)
        selected["confidence"] = confidence


def _add_entity(message: Message, entity: str, value: Any) -> None:
    if value is None:
        return
    entities = [e for e in message.get(ENTITIES) or [] if e.get("entity") != entity]
    entities.append({"entity": entity, "value": value, "extractor": Understanding.__name__})
    message.set(ENTITIES, entities, add_to_output=True)
