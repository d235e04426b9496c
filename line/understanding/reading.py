"""From what the models and lexicons see in one message to the signals the precedence ranks.

Plain Python, so every rule is tested without Rasa: the component hands over what the
learned parts said (`ModelView`: DIET and the router's intents blended, the FAQ topic both
models agree on, the router's danger and closeness); this adds what the lexicons and the
language detector say, applies the thresholds of config.yml (`Thresholds`, chosen on
tests/dev/ with bench/tune_understanding.py), and returns the signals with the category,
place and flags the actions need.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from line.core import topics
from line.understanding import categories, cues, language, names, places, safety
from line.understanding.precedence import Signals


@dataclass(frozen=True)
class ModelView:
    """What the learned parts said about one message."""

    intents: Mapping[str, float]  # intent -> probability (DIET and the router, blended)
    danger: float = 0.0  # the router's probability of danger now
    danger_kind: Optional[str] = None
    faq_topic: Optional[str] = None  # the likeliest FAQ topic (ResponseSelector and router)
    faq_confidence: float = 0.0
    faq_closeness: float = 0.0  # closeness of the message to that topic's examples
    no_topic_closeness: float = 0.0  # closeness to the questions no topic answers
    faq_unfamiliar: float = 0.0  # share of the question's words that topic's examples lack
    faq_ranking: tuple[str, ...] = ()  # FAQ topics, likeliest first


@dataclass(frozen=True)
class Thresholds:
    danger: float
    risk: float
    personal_case: float
    wants_person: float
    place_request: float
    faq: float
    faq_gate: float
    faq_over_case: float
    faq_close: float
    faq_far: float
    # How much nearer the topic's examples a message must be than the questions no topic
    # answers (negative: it may be a little nearer those), for a topic the models name
    # less surely than `faq_margin_under`.
    faq_margin: float
    faq_margin_under: float
    # An answer whose topic's examples lack this share of the message's words, to a message
    # the models also read as having no topic at least `faq_unfamiliar_no_topic`, is for a
    # neighbouring question: "¿cómo saco el duplicado del carnet si se me pierde?".
    faq_unfamiliar: float
    faq_unfamiliar_no_topic: float
    no_topic: float
    # A category word with a place (and no "where") is no place request when the models
    # read the message as having no topic at least this surely ("cuánto cuesta un dermatólogo
    # particular en Lima?": a directory search would answer another question).
    no_topic_over_place: float

    @classmethod
    def of(cls, config: Mapping[str, Any]) -> "Thresholds":
        """The thresholds among a component's settings (which also hold others)."""
        return cls(**{name: config[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Reading:
    signals: Signals
    faq_topic: Optional[str]  # the topic to answer, after the rumour rule
    category: Optional[str]
    place: Optional[places.Place]
    risk: bool  # a risk signal: a clarification carries the one-line emergency numbers
    abuse: bool  # abuse, exploitation or fraud reported: a person reads it
    unsure_faq: bool  # an FAQ guess too weak to answer: ask "¿Quisiste decir…?"


def blend_topics(
    selector: Mapping[str, float], router: Mapping[str, float], router_weight: float
) -> list[tuple[str, float]]:
    """FAQ topics ranked by the two models together, likeliest first."""
    blended = {
        topic: (1 - router_weight) * selector.get(topic, 0.0)
        + router_weight * router.get(topic, 0.0)
        for topic in set(selector) | set(router)
    }
    return sorted(blended.items(), key=lambda row: -row[1])


def answer_topic(topic: str, ranking: tuple[str, ...], text: str) -> str:
    """A plain question gets its contract topic, not the rumour's myth-busting answer:
    "¿hay que pagar por la ayuda?" is help_is_free; "dicen que cobran" is the rumour."""
    candidates = topics.plain_question_topics().get(topic)
    if not candidates or cues.is_hearsay(text):
        return topic
    return min(candidates, key=lambda t: ranking.index(t) if t in ranking else len(ranking))


def read(
    text: str, view: ModelView, limits: Thresholds, faq_categories: Mapping[str, str]
) -> Reading:
    """The signals of one message. `faq_categories` maps an FAQ topic to the service
    category that answers it with a place ("¿hay albergues en Piura?" is a search)."""
    p = view.intents
    other_language = language.detect(text)
    lexicon_danger = safety.detect(text)
    learned_danger = view.danger >= limits.danger and other_language is None
    danger = (
        lexicon_danger.kind
        if lexicon_danger
        else (view.danger_kind or names.GENERAL_DANGER)
        if learned_danger
        else None
    )
    abuse = cues.reports_abuse(text)
    category = categories.find_category(text)
    place = places.find_in_text(text)

    faq_likely = p.get(names.FAQ_INTENT, 0.0) >= limits.faq and view.faq_topic is not None
    faq_outside = faq_likely and (
        view.faq_closeness < limits.faq_far
        or (
            view.faq_confidence < limits.faq_margin_under
            and view.faq_closeness - view.no_topic_closeness < limits.faq_margin
        )
        or (
            view.faq_unfamiliar >= limits.faq_unfamiliar
            and p.get(names.OUT_OF_SCOPE_INTENT, 0.0) >= limits.faq_unfamiliar_no_topic
        )
    )
    faq_answerable = (
        faq_likely
        and not faq_outside
        and view.faq_confidence >= limits.faq_gate
        and view.faq_closeness >= limits.faq_close
    )
    # The models' personal-case reading is kept low so that a case is not answered as a
    # question; a question they read far more surely as an FAQ, close to its topic, is one.
    # So is a question that repeats what others say ("me dijeron que…, ¿es cierto?"): it
    # asks whether a rule is true, not for help with a case.
    faq_sure = faq_answerable and (
        p.get(names.FAQ_INTENT, 0.0) >= limits.faq_over_case or cues.is_hearsay(text)
    )
    personal = (
        cues.is_personal_case(text)
        or (
            p.get(names.PERSONAL_CASE_INTENT, 0.0) + p.get(names.COMPLAINT_INTENT, 0.0)
            >= limits.personal_case
            and not faq_sure
        )
        or (abuse and not faq_answerable)
    )
    complaint = p.get(names.COMPLAINT_INTENT, 0.0) > p.get(names.PERSONAL_CASE_INTENT, 0.0)
    # "Where" with no place named, in a question the models surely answer, gets the answer:
    # it ends with how to find the nearest place (or a person), and a place told next
    # searches with the topic's category.
    place_request = bool(category) and (
        (cues.asks_for_a_place(text, names_a_place=False) and (place is not None or not faq_sure))
        or p.get(names.FIND_SERVICE_INTENT, 0.0) >= limits.place_request
        or (
            place is not None
            and p.get(names.OUT_OF_SCOPE_INTENT, 0.0) < limits.no_topic_over_place
            and (not faq_answerable or faq_categories.get(view.faq_topic or "") == category)
        )
    )
    no_topic = (
        cues.asks_about_another_country(text)
        or p.get(names.OUT_OF_SCOPE_INTENT, 0.0) >= limits.no_topic
        or faq_outside
    )
    signals = Signals(
        danger=danger,
        language=other_language,
        personal_case=(
            (names.COMPLAINT_INTENT if complaint else names.PERSONAL_CASE_INTENT)
            if personal
            else None
        ),
        wants_person=(
            cues.asks_for_person(text)
            or p.get(names.REQUEST_HUMAN_INTENT, 0.0) >= limits.wants_person
        ),
        place_request=place_request,
        faq_topic=view.faq_topic if faq_answerable else None,
        no_topic=no_topic,
    )
    faq_topic = answer_topic(view.faq_topic, view.faq_ranking, text) if view.faq_topic else None
    return Reading(
        signals,
        faq_topic,
        category,
        place,
        risk=bool(danger) or view.danger >= limits.risk or safety.is_sensitive(text),
        abuse=abuse,
        unsure_faq=faq_likely and not faq_answerable and not no_topic,
    )
