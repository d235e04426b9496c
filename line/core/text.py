"""Text folding shared by every deterministic matcher of the line.

WhatsApp messages arrive with or without accents, in any case, with stretched
letters ("ayudaaa") and shorthand ("q", "xq", "pa"). Lexicons are written
against one folded form so a content team writes each word once.
"""

from __future__ import annotations

import re
import unicodedata

_STRETCHED = re.compile(r"([a-z])\1{2,}")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
# Between sentences: after a full stop, question or exclamation mark or a line break, and
# before an opening ¿ or ¡.
_SENTENCE_BREAK = re.compile(r"(?<=[.!?\n])\s*|(?=[¿¡])")

# Common WhatsApp shorthand (folded) -> the word the lexicons are written with.
_ABBREVIATIONS = {
    "q": "que",
    "k": "que",
    "ke": "que",
    "qe": "que",
    "xq": "porque",
    "xk": "porque",
    "pq": "porque",
    "porq": "porque",
    "porke": "porque",
    "pa": "para",
    "pal": "para el",
    "x": "por",
    "d": "de",
    "tb": "tambien",
    "tmb": "tambien",
    "tbn": "tambien",
    "xfa": "por favor",
    "porfa": "por favor",
    "pf": "por favor",
    "plis": "por favor",
    "dnd": "donde",
    "dnde": "donde",
    "cdo": "cuando",
    "aki": "aqui",
    "kiero": "quiero",
    "kiere": "quiere",
    "qiero": "quiero",
    "toy": "estoy",
    "tamos": "estamos",
    "ta": "esta",
    "tas": "estas",
    "ud": "usted",
    "uds": "ustedes",
    "msj": "mensaje",
    "tlf": "telefono",
    "tel": "telefono",
    "hno": "hermano",
    "hna": "hermana",
    "bb": "bebe",
    "nd": "nada",
}


def fold(text: str) -> str:
    """Lowercase, drop accents (ñ -> n), squeeze letters repeated 3+ times,
    and turn punctuation and whitespace runs into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    plain = _STRETCHED.sub(r"\1", plain)
    return _NOT_WORD.sub(" ", plain).strip()


def expand_abbreviations(folded: str) -> str:
    """Replace whole-word WhatsApp shorthand in already folded text."""
    return " ".join(_ABBREVIATIONS.get(word, word) for word in folded.split())


def normalise(text: str) -> str:
    """fold + expand_abbreviations: the form lexicon patterns are matched on."""
    return expand_abbreviations(fold(text))


def question_clause(text: str) -> str:
    """The sentences that ask (with ? or ¿), or else the last one: what a message asks,
    without the story told before it ("llegué hace un año con mis hijos… ¿cómo saco el
    SIS?")."""
    sentences = [s.strip() for s in _SENTENCE_BREAK.split(text) if s.strip()]
    asking = [s for s in sentences if "?" in s or "¿" in s]
    return " ".join(asking) if asking else (sentences[-1] if sentences else text)


def whole_words(pattern: str) -> re.Pattern:
    """A lexicon pattern matched as whole words of normalised text."""
    return re.compile(rf"\b(?:{pattern})\b")
