"""Deterministic cues for intents the model must not decide alone.

The contract says a request for a person never depends on the model's guess,
and a request to find a place is a service search even when it sounds like a
FAQ ("la cruz roja tiene local en chiclayo?"). Patterns live in
line/understanding/lexicon/intent_cues.yml so a content team can read and extend them.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from line.core.text import normalise, whole_words
from line.understanding import names

LEXICON = Path(__file__).resolve().parent / "lexicon" / "intent_cues.yml"
# Whole-message alert commands, each a list of intent_cues.yml named by its intent.
ALERTS_COMMANDS = (names.UNSUBSCRIBE_ALERTS_INTENT, names.SUBSCRIBE_ALERTS_INTENT)
THUMBS = {"\N{THUMBS UP SIGN}": "rate_useful", "\N{THUMBS DOWN SIGN}": "rate_not_useful"}


def _compile(patterns: list[str]) -> re.Pattern:
    return whole_words("|".join(f"(?:{p})" for p in patterns))


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    data = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    return {
        "ask_for_person": _compile(data["ask_for_person"]),
        "person_words": frozenset(data["person_words"]),
        "about_hours": _compile([data["about_hours"]]),
        "ask_where": _compile(data["ask_where"]),
        "ask_need": _compile(data["ask_need"]),
        "foreign_procedure": _compile(data["foreign_procedure"]),
        "personal_case": _compile(data["personal_case"]),
        "hearsay": _compile(data["hearsay"]),
        "reports_abuse": _compile(data["reports_abuse"]),
        "irregular_status": _compile(data["irregular_status"]),
        "rate_useful": frozenset(data["rate_useful"]),
        "rate_not_useful": frozenset(data["rate_not_useful"]),
        **{intent: frozenset(data[intent]) for intent in ALERTS_COMMANDS},
    }


def asks_for_person(text: str) -> bool:
    """True when the person asks to talk to, or be called by, a human."""
    words = normalise(text)
    lexicon = _lexicon()
    if words in lexicon["person_words"]:
        return True
    return bool(lexicon["ask_for_person"].search(words)) and not lexicon["about_hours"].search(
        words
    )


def asks_for_a_place(text: str, names_a_place: bool) -> bool:
    """True when the message asks where to go (given that it names a service).

    "Where" words are enough; "I need / I'm looking for" words count only with a
    named place, since "necesito ayuda legal" alone may be a general question.
    """
    words = normalise(text)
    lexicon = _lexicon()
    return bool(
        lexicon["ask_where"].search(words) or (names_a_place and lexicon["ask_need"].search(words))
    )


def asks_about_another_country(text: str) -> bool:
    """True for a question about another country's procedures (outside the line)."""
    return bool(_lexicon()["foreign_procedure"].search(normalise(text)))


def is_personal_case(text: str) -> bool:
    """True for a person's own case that needs judgement (rejected application, file number)."""
    return bool(_lexicon()["personal_case"].search(normalise(text)))


def is_hearsay(text: str) -> bool:
    """True when the person repeats what others say ("dicen que", "me dijeron")."""
    return bool(_lexicon()["hearsay"].search(normalise(text)))


def reports_abuse(text: str) -> bool:
    """True when the person reports abuse, exploitation or fraud (money or favours
    asked for help, documents kept, harassment): a person must read it."""
    return bool(_lexicon()["reports_abuse"].search(normalise(text)))


def says_irregular_status(text: str) -> bool:
    """True when the person says they have no papers, entered without border control or
    stayed past their permit: before a procedure, a person must advise them."""
    return bool(_lexicon()["irregular_status"].search(normalise(text)))


def _symbols(text: str) -> set[str]:
    """The pictographs of a message, without skin tones or variation selectors."""
    return {c for c in text if unicodedata.category(c) == "So" and not 0x1F3FB <= ord(c) <= 0x1F3FF}


def rating(text: str) -> Optional[str]:
    """rate_useful / rate_not_useful when the whole message rates an answer
    ("👍", "👎🏽", "no me sirvio"), else None."""
    symbols = _symbols(text)
    if symbols and symbols <= set(THUMBS) and len({THUMBS[s] for s in symbols}) == 1:
        if not normalise(text):
            return THUMBS[symbols.pop()]
    words = normalise(text)
    lexicon = _lexicon()
    for intent in ("rate_not_useful", "rate_useful"):
        if words in lexicon[intent]:
            return intent
    return None


def alerts_command(text: str) -> Optional[str]:
    """unsubscribe_alerts / subscribe_alerts when the whole message is an alerts
    command ("BAJA", "stop", "avisos"), else None."""
    words = normalise(text)
    lexicon = _lexicon()
    for intent in ALERTS_COMMANDS:
        if words in lexicon[intent]:
            return intent
    return None
