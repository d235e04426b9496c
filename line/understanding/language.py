"""Which language a message is written in, when it is not Spanish.

Two detectors that ship their models: lingua (Spanish, English, Portuguese, French; accurate on
short texts) and CLD2 (which also knows Haitian Creole, which lingua does not). A message is
another language only when it has enough words and both detectors agree, so Spanish with a
few English words ("mi hijo tiene fever") stays Spanish.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Optional

import pycld2
from lingua import Language, LanguageDetectorBuilder

OTHER_LANGUAGES = ("en", "pt", "fr", "ht")
MIN_WORDS = 3
MIN_CONFIDENCE = 0.4
_LINGUA = {
    Language.SPANISH: "es",
    Language.ENGLISH: "en",
    Language.PORTUGUESE: "pt",
    Language.FRENCH: "fr",
}


@lru_cache(maxsize=1)
def _lingua():
    return LanguageDetectorBuilder.from_languages(*_LINGUA).with_preloaded_language_models().build()


def _cld2(text: str) -> Optional[str]:
    try:
        reliable, _, details = pycld2.detect(text, bestEffort=True)
    except pycld2.error:
        return None
    return details[0][1] if details and details[0][1] != "un" else None


def detect(text: str) -> Optional[str]:
    """'en', 'pt', 'fr' or 'ht' for a message in that language; None for Spanish or unsure."""
    if len(text.split()) < MIN_WORDS:
        return None
    confidences = _lingua().compute_language_confidence_values(text)
    top = confidences[0]
    lingua = _LINGUA[top.language]
    cld2 = _cld2(text)
    if cld2 == "ht" and lingua in ("fr", "en"):
        return "ht"
    if lingua != "es" and top.value >= MIN_CONFIDENCE and cld2 == lingua:
        return lingua
    return None
