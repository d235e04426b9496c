"""Which of a message's needs the line acts on: decided once, here.

Every reader of a message reports a signal: the danger detector with its lexicon floor, the
language detector, the cues and models for a personal case or a person, the place and
category finders, the FAQ model with its closeness check. `decide` takes the first signal
present in PRECEDENCE, so the order is one table that a test reads row by row; the signals
passed over are the needs offered next (`also`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Optional

from line.understanding import names


@dataclass(frozen=True)
class Signals:
    danger: Optional[str] = None  # the kind of danger happening now
    language: Optional[str] = None  # "en", "pt", "fr" or "ht" when not Spanish
    personal_case: Optional[str] = None  # the intent: a personal case, or a complaint
    wants_person: bool = False
    place_request: bool = False
    faq_topic: Optional[str] = None  # a confident answer, close to its topic's examples
    no_topic: bool = False  # a question outside every topic


# Each signal and the intent the line then acts on, most urgent first (None: the
# signal's own value is the intent).
PRECEDENCE: tuple[tuple[str, Optional[str]], ...] = (
    ("danger", names.EMERGENCY_INTENT),
    ("language", names.OTHER_LANGUAGE_INTENT),
    ("personal_case", None),
    ("wants_person", names.REQUEST_HUMAN_INTENT),
    ("place_request", names.FIND_SERVICE_INTENT),
    ("faq_topic", names.FAQ_INTENT),
    ("no_topic", names.OUT_OF_SCOPE_INTENT),
)
if sorted(name for name, _ in PRECEDENCE) != sorted(f.name for f in fields(Signals)):
    raise RuntimeError("PRECEDENCE must rank every signal of Signals exactly once")


@dataclass(frozen=True)
class Decision:
    intent: Optional[str]  # None: no signal, the model's own intent stands
    also: tuple[str, ...] = ()  # the intents of the other signals present, in order


def decide(signals: Signals) -> Decision:
    present = [
        intent or getattr(signals, name) for name, intent in PRECEDENCE if getattr(signals, name)
    ]
    return Decision(present[0], tuple(present[1:])) if present else Decision(None)
