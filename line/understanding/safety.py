"""Deterministic safety net for danger happening now.

The NLU model can miss a message like "mi bebe no respira"; this module never
depends on it. Patterns and the numbers for each kind live in
`lexicon/danger.yml` so the content team can extend them; numbers themselves
come from the contract so they are written in one place only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from line.core.text import normalise, whole_words
from line.core.topics import emergency_numbers
from line.understanding.names import DANGER_KINDS

LEXICON = Path(__file__).parent / "lexicon" / "danger.yml"
# Abuse, exploitation and fraud by someone claiming to help: feedback to keep confidential.
SENSITIVE_LEXICON = Path(__file__).parent / "lexicon" / "sensitive.yml"


@dataclass(frozen=True)
class Danger:
    kind: str
    numbers: tuple[str, ...]


@dataclass(frozen=True)
class _Kind:
    danger: Danger
    patterns: tuple[re.Pattern, ...]
    guarded: bool


@dataclass(frozen=True)
class _Lexicon:
    over: re.Pattern
    not_danger: tuple[re.Pattern, ...]
    hypothetical: re.Pattern
    kinds: tuple[_Kind, ...]


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    """Load and check danger.yml once; a typo in a kind or number key fails loudly."""
    with open(LEXICON, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    numbers = emergency_numbers()
    kinds = []
    for entry in data["kinds"]:
        if entry["kind"] not in DANGER_KINDS:
            raise ValueError(f"danger.yml: unknown kind {entry['kind']!r}")
        danger = Danger(entry["kind"], tuple(numbers[key] for key in entry["numbers"]))
        patterns = tuple(whole_words(p) for p in entry["patterns"])
        kinds.append(_Kind(danger, patterns, bool(entry.get("hypothetical_guard"))))
    return _Lexicon(
        over=whole_words("|".join(f"(?:{p})" for p in data["over"])),
        not_danger=tuple(whole_words(p) for p in data["not_danger"]),
        hypothetical=re.compile(rf"\b(?:{data['hypothetical']})"),
        kinds=tuple(kinds),
    )


def detect(text: str) -> Optional[Danger]:
    """The first kind (in danger.yml priority order) whose pattern matches, else None;
    None too when the message tells the danger as over or long past (`over`)."""
    lexicon = _lexicon()
    folded = normalise(text)
    if lexicon.over.search(folded):
        return None
    for pattern in lexicon.not_danger:
        # A marker instead of nothing, so words on both sides never join up.
        folded = pattern.sub(" . ", folded)
    for kind in lexicon.kinds:
        for pattern in kind.patterns:
            for match in pattern.finditer(folded):
                if not (kind.guarded and lexicon.hypothetical.search(folded, 0, match.start())):
                    return kind.danger
    return None


@lru_cache(maxsize=1)
def _sensitive_patterns() -> tuple[re.Pattern, ...]:
    with open(SENSITIVE_LEXICON, encoding="utf-8") as f:
        return tuple(whole_words(p) for p in yaml.safe_load(f)["patterns"])


def is_sensitive(text: str) -> bool:
    """Danger now, or abuse, exploitation or fraud by someone claiming to help
    (lexicon/sensitive.yml): what the feedback report keeps confidential."""
    if text and detect(text):
        return True
    folded = normalise(text)
    return any(p.search(folded) for p in _sensitive_patterns())
