"""Alerts in the conversation: when the line may offer them, and what a person agrees to.

The offer comes at most once a session, after an answer the person found useful, and
never in a session where someone was in danger or complained: an alert offer then would
read as indifference. Nobody is offered what they already have. What the person agrees
to is kept with the exact words they were shown (subscriptions.subscribe)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence

from line.alerts.subscriptions import CHANNELS
from line.core import topics as contract
from line.understanding import names

# A session with any of these is no moment for an offer.
NO_OFFER_INTENTS = frozenset({names.EMERGENCY_INTENT, names.COMPLAINT_INTENT})


@dataclass(frozen=True)
class Scope:
    """What a subscription covers: a topic (None: every topic) and a region (None:
    every region), both the contract's own."""

    topic: Optional[str] = None
    region: Optional[str] = None

    @property
    def topics(self) -> tuple[str, ...]:
        return (self.topic,) if self.topic else ()


def scope(topic: Optional[str], region: Optional[str]) -> Scope:
    """The scope of an offer from the conversation's last topic and region; anything the
    contract does not know widens to "every" rather than failing the offer."""
    known_topic = topic if topic in contract.answered_topic_ids() else None
    known_region = region if region in contract.contract()["regions"] else None
    return Scope(known_topic, known_region)


def session_events(events: Sequence[Mapping[str, Any]]) -> Sequence[Mapping[str, Any]]:
    """The events of the current session (after its last session_started)."""
    starts = [i for i, event in enumerate(events) if event.get("event") == "session_started"]
    return events[starts[-1] + 1 :] if starts else events


def troubled(events: Sequence[Mapping[str, Any]]) -> bool:
    """True when someone in this session was in danger or complained."""
    for event in session_events(events):
        if event.get("event") != "user":
            continue
        parse = event.get("parse_data") or {}
        intent = (parse.get("intent") or {}).get("name")
        if intent in NO_OFFER_INTENTS or parse.get(names.DANGER_KEY):
            return True
    return False


def may_offer(
    events: Sequence[Mapping[str, Any]], offered: bool, subscribed: bool, channel: Optional[str]
) -> bool:
    """The one-time offer after a useful answer."""
    return channel in CHANNELS and not offered and not subscribed and not troubled(events)


def fill(template: str, **values: str) -> str:
    """A domain text with its {placeholders} filled, as the person will read it: the
    consent kept is exactly these words."""
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template
