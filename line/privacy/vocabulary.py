"""The detector's words (pii.yml) loaded once, and the helpers that read the
few words around a candidate: every recognizer's context check uses them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from line.core.text import fold

LEXICON = Path(__file__).resolve().parent / "pii.yml"

CONTEXT_CHARS = 60  # how far back a cue may stand ("mi numero de dni es el 4567...")
CONTEXT_WORDS = 5


@dataclass(frozen=True)
class Vocabulary:
    cues: dict[str, str]  # folded phrase -> TELEFONO / DOCUMENTO / CUENTA / NOT_PII
    cue_length: int  # words in the longest cue
    generic_cues: frozenset[str]  # "numero": a phone cue only when nothing else speaks
    # Not-PII words that may only say what an account is for: "cuenta sueldo".
    account_qualifiers: frozenset[str]
    amount_after: frozenset[str]
    currency_signs: tuple[str, ...]
    role_mailboxes: frozenset[str]
    mail_providers: tuple[str, ...]
    address_openers: tuple[str, ...]
    address_parts: frozenset[str]
    address_settlements: frozenset[str]
    address_personal: frozenset[str]
    address_stops: frozenset[str]
    address_not_after: frozenset[str]
    strong_cues: frozenset[str]
    kin_cues: frozenset[str]
    loose_cues: frozenset[str]
    closing_cues: frozenset[str]
    institution_words: frozenset[str]
    institutions: frozenset[str]
    public_names: frozenset[str]
    not_names: frozenset[str]
    first_names: frozenset[str]
    ambiguous_first_names: frozenset[str]
    surnames: frozenset[str]
    ambiguous_surnames: frozenset[str]
    foreign_places: frozenset[str]


def _folded(words) -> frozenset[str]:
    return frozenset(fold(str(w)) for w in words if fold(str(w)))


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    with LEXICON.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    cues: dict[str, str] = {}
    # Later groups win a phrase listed twice: "not PII" is the most specific reading.
    for group, key in (
        ("TELEFONO", "phone_cues"),
        ("DOCUMENTO", "document_cues"),
        ("CUENTA", "account_cues"),
        ("NOT_PII", "not_pii_cues"),
    ):
        for phrase in _folded(data[key]):
            cues[phrase] = group
    names = data["name_cues"]
    return Vocabulary(
        cues=cues,
        cue_length=max(len(p.split()) for p in cues),
        generic_cues=_folded(data["generic_cues"]),
        account_qualifiers=_folded(data["account_qualifiers"]),
        amount_after=_folded(data["amount_after"]),
        currency_signs=tuple(
            sorted({s.lower() for s in data["currency_signs"]}, key=len, reverse=True)
        ),
        role_mailboxes=frozenset(w.lower() for w in data["role_mailboxes"]),
        mail_providers=tuple(data["mail_providers"]),
        address_openers=tuple(sorted(_folded(data["address_openers"]), key=len, reverse=True)),
        address_parts=_folded(data["address_parts"]),
        address_settlements=_folded(data["address_settlements"]),
        address_personal=_folded(data["address_personal"]),
        address_stops=_folded(data["address_stops"]),
        address_not_after=_folded(data["address_not_after"]),
        strong_cues=_folded(names["strong"]),
        kin_cues=_folded(names["kin"]),
        loose_cues=_folded(names["loose"]),
        closing_cues=_folded(names["closing"]),
        institution_words=_folded(data["institution_words"]),
        institutions=_folded(data["institutions"]),
        public_names=_folded(data["public_names"]),
        not_names=_folded(data["not_names"]),
        first_names=_folded(data["first_names"]),
        ambiguous_first_names=_folded(data["ambiguous_first_names"]),
        surnames=_folded(data["surnames"]),
        ambiguous_surnames=_folded(data["ambiguous_surnames"]),
        foreign_places=_folded(data["foreign_places"]),
    )


_DIGIT = re.compile(r"\d")


def words_before(text: str, start: int, count: int = CONTEXT_WORDS) -> list[str]:
    """The folded words just before `start`, nearest last, cut at an earlier
    number: its own cue must not speak for this one ("dni 4567... y cel 9...")."""
    words = fold(text[max(0, start - CONTEXT_CHARS) : start]).split()
    for k in range(len(words) - 1, -1, -1):
        if _DIGIT.search(words[k]):
            words = words[k + 1 :]
            break
    return words[-count:]


def words_after(text: str, end: int, count: int = 2) -> list[str]:
    return fold(text[end : end + 15 * count]).split()[:count]


def cue_after(text: str, end: int, count: int = 4) -> str | None:
    """The group of the first cue word right after a number ("191-... del BCP")."""
    cues = vocabulary().cues
    return next((cues[w] for w in words_after(text, end, count) if w in cues), None)


def nearest_cue(text: str, start: int) -> str | None:
    """The group of the cue nearest before `start` (a longer phrase first at the
    same place: "nro de operacion" is no PII); "GENERIC" for a bare "numero",
    which only a phone may take as its cue. An account qualifier ("sueldo",
    "dolares") after an account cue leaves the number an account."""
    vocab = vocabulary()
    words = words_before(text, start)
    generic = qualifier = None
    for end in range(len(words), 0, -1):
        for size in range(min(vocab.cue_length, end), 0, -1):
            phrase = " ".join(words[end - size : end])
            group = vocab.cues.get(phrase)
            if not group:
                continue
            if qualifier:
                return group if group == "CUENTA" else qualifier
            if group == "NOT_PII" and phrase in vocab.account_qualifiers:
                qualifier = group  # "cuenta sueldo 191...": an account cue may stand before
                break
            return group
        if words[end - 1] in vocab.generic_cues and not qualifier:
            generic = "GENERIC"
    return qualifier or generic


def is_amount(text: str, start: int, end: int) -> bool:
    """A currency sign right before the number or a unit right after it
    ("S/ 1500", "12.345.678 bolivares", "3 dias")."""
    vocab = vocabulary()
    before = text[max(0, start - 6) : start].lower().rstrip()
    if any(before.endswith(sign) for sign in vocab.currency_signs):
        # "s/" or "bs" must stand alone, not end a word ("dias 500").
        sign = next(s for s in vocab.currency_signs if before.endswith(s))
        head = before[: len(before) - len(sign)]
        if not head or not head[-1].isalpha():
            return True
    after = words_after(text, end, 2)
    return bool(after) and (after[0] in vocab.amount_after or " ".join(after) in vocab.amount_after)
