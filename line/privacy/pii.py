"""Personal data in a message: phone numbers, e-mails, identity documents, bank
accounts and cards, street addresses and people's names.

Why not Presidio: no presidio-analyzer release installs beside the spaCy that
Rasa 3.6.21 pins (3.1.7). Releases 2.2.0-2.2.21 pin spaCy 3.0.5/3.0.6 and every
later one needs 3.2 or newer (checked with `pip install --dry-run` against
constraints.txt). So this module keeps Presidio's design on what is installed:
a registry of recognizers, each with a kind, a score and a context check
(recognizers.py, names.py), spaCy's es_core_news_sm NER for names, and the same
merging (overlaps resolved, longest first).

What is never PII: places, services and institutions, emergency numbers (105,
106, 116, 113, 100, 1818: too short for any pattern), amounts, dates, times and
ages. A place the gazetteer finds in a message survives redaction (the directory
search needs it): a name or address that would take it is shortened or dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from line.privacy.names import NameRecognizer
from line.privacy.recognizers import all_recognizers
from line.understanding import places

KINDS = ("TELEFONO", "EMAIL", "DOCUMENTO", "CUENTA", "DIRECCION", "NOMBRE")
# What redaction leaves: never personal data itself, so redacting twice changes nothing.
_PLACEHOLDER = re.compile("<(?:" + "|".join(KINDS) + ")>")
THRESHOLD = 0.5
# Kinds that may hold words the gazetteer reads as places, and give them back.
_MAY_HOLD_PLACES = ("NOMBRE", "DIRECCION")
_SHORT_ANSWER = 4  # words: places.resolve reads answers this short


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int
    score: float


@lru_cache(maxsize=1)
def registry() -> tuple:
    """Every recognizer, built once (the name recognizer loads spaCy at first use)."""
    return (*all_recognizers(), NameRecognizer())


def _merge(candidates: list[Finding]) -> list[Finding]:
    """Non-overlapping findings: the longest wins, then the higher score."""
    kept: list[Finding] = []
    for found in sorted(candidates, key=lambda f: (-(f.end - f.start), -f.score, f.start)):
        if all(found.end <= k.start or found.start >= k.end for k in kept):
            kept.append(found)
    return sorted(kept, key=lambda f: f.start)


def _replace(text: str, findings: list[Finding]) -> str:
    parts, position = [], 0
    for found in findings:
        parts.append(text[position : found.start])
        parts.append(f"<{found.kind}>")
        position = found.end
    parts.append(text[position:])
    return "".join(parts)


def _places(text: str, short: bool) -> tuple:
    """What the directory search reads: the place in a message and, for an answer
    as short as the original, the place in an answer to "where are you?"."""
    return places.find_in_text(text), places.resolve(text) if short else None


def _keep_places(text: str, findings: list[Finding]) -> list[Finding]:
    """Shorten or drop the names and addresses that hold the place the message
    names. Numbers and e-mails are always redacted: the gazetteer reads "lima"
    in "rosa.lima@gmail.com" only because punctuation splits words."""
    short = len(text.split()) <= _SHORT_ANSWER
    if not any(
        f.kind in _MAY_HOLD_PLACES and _holds_place(_with_neighbours(text, f)) for f in findings
    ):
        return findings
    fixed = [f for f in findings if f.kind not in _MAY_HOLD_PLACES]
    wanted = _places(_replace(text, fixed), short)
    if wanted == (None, None) or _places(_replace(text, findings), short) == wanted:
        return findings
    kept = list(fixed)
    for found in (f for f in findings if f.kind in _MAY_HOLD_PLACES):
        for trial in (found, *_shorter(text, found)):
            if (
                _places(_replace(text, sorted([*fixed, trial], key=lambda f: f.start)), short)
                == wanted
            ):
                kept.append(trial)
                break
    kept.sort(key=lambda f: f.start)
    if _places(_replace(text, kept), short) == wanted:
        return kept
    return sorted(fixed, key=lambda f: f.start)


_NEIGHBOURS = 2  # words each side: a place may run across a finding's edge ("Jesús | María")


def _with_neighbours(text: str, found: Finding) -> str:
    before = text[max(0, found.start - 80) : found.start].split()[-_NEIGHBOURS:]
    after = text[found.end : found.end + 80].split()[:_NEIGHBOURS]
    return " ".join([*before, text[found.start : found.end], *after])


@lru_cache(maxsize=4096)
def _holds_place(span: str) -> bool:
    """Whether the gazetteer reads a place in these few words: only then can
    redacting them change the place of the message."""
    return places.find_in_text("en " + span) is not None or places.resolve(span) is not None


def _shorter(text: str, found: Finding):
    """The finding without its first words, then without its last ones: "AA.HH.
    Los Olivos Mz F Lt 3" keeps "Mz F Lt 3", "Carlos Trujillo" keeps "Carlos"."""
    span = text[found.start : found.end]
    cuts = [k for k, c in enumerate(span) if c == " " and k + 1 < len(span)]
    for k in cuts:
        yield Finding(found.kind, found.start + k + 1, found.end, found.score)
    for k in reversed(cuts):
        if span[:k].strip():
            yield Finding(
                found.kind, found.start, found.start + len(span[:k].rstrip(" ,")), found.score
            )


def detect(text: Optional[str]) -> list[Finding]:
    """The personal data in one message, in order, never overlapping."""
    if not text or not text.strip():
        return []
    redacted = [m.span() for m in _PLACEHOLDER.finditer(text)]
    candidates = [
        Finding(recognizer.kind, start, end, score)
        for recognizer in registry()
        for start, end, score in recognizer.find(text)
        if score >= THRESHOLD
        and end > start
        and all(end <= r_start or start >= r_end for r_start, r_end in redacted)
    ]
    findings = _merge(candidates)
    if any(f.kind in _MAY_HOLD_PLACES for f in findings):
        findings = _keep_places(text, findings)
    return findings


def redact(text: Optional[str]) -> str:
    """The message with each finding replaced by its kind: "<TELEFONO>"."""
    if not text:
        return text or ""
    return _replace(text, detect(text))
