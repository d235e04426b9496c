"""The names the code shares with the domain, the model and each other, each written once:
intents a module decides on, the keys the NLU components add to a parsed message, the
kinds of danger, and the names of the FAQ answers and how to read them from a parse or a
conversation. It imports nothing of the line, so every package may use it."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

# Intents (domain.yml, data/nlu/).
FAQ_INTENT = "faq"
EMERGENCY_INTENT = "emergency"
REQUEST_HUMAN_INTENT = "request_human"
PERSONAL_CASE_INTENT = "personal_case"
COMPLAINT_INTENT = "complaint"
FIND_SERVICE_INTENT = "find_service"
INFORM_INTENT = "inform"
OUT_OF_SCOPE_INTENT = "out_of_scope"
OTHER_LANGUAGE_INTENT = "other_language"
RATE_USEFUL_INTENT = "rate_useful"
RATE_NOT_USEFUL_INTENT = "rate_not_useful"
# Opting in to and out of alerts (line/alerts): the model, or a whole-message command.
SUBSCRIBE_ALERTS_INTENT = "subscribe_alerts"
UNSUBSCRIBE_ALERTS_INTENT = "unsubscribe_alerts"
# Rasa's intent when the model is unsure (FallbackClassifier, components/understanding.py).
NLU_FALLBACK_INTENT = "nlu_fallback"
# Intents that already lead to a person: no cue overrides them.
PERSON_INTENTS = frozenset({EMERGENCY_INTENT, REQUEST_HUMAN_INTENT, PERSONAL_CASE_INTENT})

# Keys the NLU components add to a parsed message (components/understanding.py).
# The kind of danger happening now (one of DANGER_KINDS).
DANGER_KEY = "danger"
# The person reports abuse, exploitation or fraud: a person must read it.
ABUSE_KEY = "abuse_report"
# A risk signal short of danger: a clarification carries the one-line emergency numbers.
RISK_KEY = "risk"
# The language of a message not in Spanish, one of OTHER_LANGUAGES.
LANGUAGE_KEY = "language"
# Languages the line recognises and answers briefly (utter_other_language_<code>).
OTHER_LANGUAGES = ("en", "pt", "fr", "ht")
# The needs of the message that lost the precedence, as intents: offered next.
ALSO_KEY = "also"
# The FAQ topic of a question asked together with a place request that won: after the
# results, its answer is offered one button away.
ALSO_FAQ_TOPIC_KEY = "also_faq_topic"
# Entity and slot: the service a person named before giving a place ("necesito un
# dentista para mi hija" … "vivo en Chiclayo" searches health in Lambayeque).
NEED_CATEGORY = "need_category"
# The person says they have no papers or entered irregularly: after an answer on a
# status_sensitive topic, a person advises them (handoff reason `legal`).
IRREGULAR_STATUS_KEY = "irregular_status"

# Kinds of danger (lexicon/danger.yml), each with its `utter_emergency_<kind>` answer.
DANGER_KINDS = ("violence", "child_abuse", "trafficking", "suicide", "medical", "fire")
GENERAL_DANGER = "general"

# What follows an FAQ answer (its 👍 / 👎 buttons), and the question whose buttons are FAQ
# titles ("¿Quisiste decir…?"): the topic editor's preview shows both.
ASK_RATING_RESPONSE = "utter_ask_rating"
CLARIFY_RESPONSE = "utter_clarify"

# FAQ answers: the response `utter_faq/<topic>` of the retrieval intent `faq/<topic>`.
FAQ_KEY_PREFIX = f"{FAQ_INTENT}/"
FAQ_RESPONSE_PREFIX = f"utter_{FAQ_INTENT}/"


def faq_response(topic: str) -> str:
    return f"{FAQ_RESPONSE_PREFIX}{topic}"


def faq_key(topic: str) -> str:
    return f"{FAQ_KEY_PREFIX}{topic}"


def faq_topic_of(response: Optional[str]) -> Optional[str]:
    """The topic of an FAQ answer's name ("utter_faq/shelter" -> "shelter"), else None."""
    if response and response.startswith(FAQ_RESPONSE_PREFIX):
        return response[len(FAQ_RESPONSE_PREFIX) :]
    return None


def emergency_response(danger: Optional[str]) -> str:
    """The emergency numbers to give first: those of the kind of danger, else the general."""
    return f"utter_emergency_{danger if danger in DANGER_KINDS else GENERAL_DANGER}"


def last_faq_topic(events: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The topic of the last FAQ answer given in a conversation (Rasa's event dictionaries)."""
    for event in reversed(events):
        if event.get("event") == "bot":
            topic = faq_topic_of((event.get("metadata") or {}).get("utter_action"))
            if topic:
                return topic
    return None


def faq_topic_answered_before(events: Sequence[Mapping[str, Any]]) -> Optional[str]:
    """The topic of an FAQ answer given to the person's previous message, if there was one
    ("¿hay albergues?" answered, then "estoy en Juliaca": the place is for that need)."""
    users = [i for i, event in enumerate(events) if event.get("event") == "user"]
    if not users:
        return None
    previous = users[-2] if len(users) > 1 else 0
    return last_faq_topic(events[previous : users[-1]])


def faq_selection(parse: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ResponseSelector's output for FAQ answers in a parsed message (or a Message)."""
    return (parse.get("response_selector") or {}).get(FAQ_INTENT) or {}


def topic_of_key(key: Any) -> str:
    """ "faq/shelter" -> "shelter": the topic of a retrieval intent's response key."""
    return str(key or "").split("/", 1)[-1]


def faq_ranking(parse: Mapping[str, Any]) -> list[tuple[str, float]]:
    """The FAQ topics the ResponseSelector ranked, best first, with their confidence."""
    return [
        (topic_of_key(row.get("intent_response_key")), row.get("confidence") or 0.0)
        for row in faq_selection(parse).get("ranking") or []
    ]


def selected_faq_topic(parse: Mapping[str, Any]) -> Optional[str]:
    """The FAQ topic the ResponseSelector chose for a parsed message, if any."""
    key = str((faq_selection(parse).get("response") or {}).get("intent_response_key") or "")
    return topic_of_key(key) if key.startswith(FAQ_KEY_PREFIX) else None
