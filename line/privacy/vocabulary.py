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
# How far back an account cue may stand: a voice note names the bank, talks on,
# then reads the number ("es en interbank porque el trabaja ... y el numero es 898...").
ACCOUNT_CONTEXT_CHARS = 200
ACCOUNT_CONTEXT_WORDS = 24
_LISTED = 4  # accounts in one list ("bcp 191... y 193... y 200...")
_ACCOUNT_LENGTH = 10  # digits: shorter numbers never start a list of accounts
_ACCOUNT_OR_NOT_PII = ("CUENTA", "NOT_PII")


@dataclass(frozen=True)
class Vocabulary:
    cues: dict[str, str]  # folded phrase -> TELEFONO / DOCUMENTO / CUENTA / NOT_PII
    cue_length: int  # words in the longest cue
    generic_cues: frozenset[str]  # "numero": a phone cue only when nothing else speaks
    # Not-PII words that may only say what an account is for: "cuenta sueldo".
    account_qualifiers: frozenset[str]
    list_joiners: frozenset[str]  # "y", "o": a number listed after an account is one
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
        list_joiners=_folded(data["list_joiners"]),
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


def words_before(
    text: str, start: int, count: int = CONTEXT_WORDS, chars: int = CONTEXT_CHARS
) -> list[str]:
    """The folded words just before `start`, nearest last, cut at an earlier
    number: its own cue must not speak for this one ("dni 4567... y cel 9...")."""
    words = fold(text[max(0, start - chars) : start]).split()
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


def nearest_cue(
    text: str,
    start: int,
    count: int = CONTEXT_WORDS,
    chars: int = CONTEXT_CHARS,
    among: tuple[str, ...] = (),
) -> str | None:
    """The group of the cue nearest before `start` (a longer phrase first at the
    same place: "nro de operacion" is no PII); "GENERIC" for a bare "numero",
    which only a phone may take as its cue. An account qualifier ("sueldo",
    "dolares") after an account cue leaves the number an account. With `among`,
    cues of other groups are passed over."""
    vocab = vocabulary()
    words = words_before(text, start, count, chars)
    generic = qualifier = None
    for end in range(len(words), 0, -1):
        for size in range(min(vocab.cue_length, end), 0, -1):
            phrase = " ".join(words[end - size : end])
            group = vocab.cues.get(phrase)
            if not group or (among and group not in among):
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


# A digit run with its separators, single or doubled ("191 - 2345..."): the
# separator is never optional between groups, so matching stays linear.
_NUMBER_RUN = re.compile(r"\d+(?:[ ./\-\u2013\u2014]{1,3}\d+)*")


def _listed_after(text: str, start: int) -> int | None:
    """Where the account-long number this one is listed after starts, when only
    joiners and currencies stand between them ("191... y 200...", "191..., 193...",
    "soles 191... y dolares 193..."); None otherwise."""
    vocab = vocabulary()
    window_start = max(0, start - ACCOUNT_CONTEXT_CHARS)
    runs = list(_NUMBER_RUN.finditer(text, window_start, start))
    previous = runs[-1] if runs else None
    if previous is None or len(_DIGIT.findall(previous.group())) < _ACCOUNT_LENGTH:
        return None
    between = fold(text[previous.end() : start]).split()
    joins = vocab.list_joiners | vocab.account_qualifiers
    return previous.start() if all(w in joins for w in between) else None


def account_cue(text: str, start: int) -> str | None:
    """The cue of a number that may be a bank account: the cue of the account
    it is listed after, else its nearest cue, else an account cue farther back
    in the message when no not-PII cue stands nearer (a voice note, "la cuenta
    bcp de mi hermana es el 191...", "es del interbank, se llama Dayana y el
    numero es 200..."): words far back that only look like other cues ("se
    llama") say nothing about this number."""
    position = start
    for _ in range(_LISTED):
        position = _listed_after(text, position)
        if position is None:
            break
        if nearest_cue(text, position) == "CUENTA":
            return "CUENTA"
    cue = nearest_cue(text, start)
    if cue in (None, "GENERIC") and (
        nearest_cue(
            text, start, ACCOUNT_CONTEXT_WORDS, ACCOUNT_CONTEXT_CHARS, among=_ACCOUNT_OR_NOT_PII
        )
        == "CUENTA"
    ):
        return "CUENTA"
    return cue


def currency_before(text: str, start: int) -> bool:
    """A currency sign right before the number: "S/ 1500", "$350", "Bs. 1.200"."""
    before = text[max(0, start - 6) : start].lower().rstrip()
    sign = next((s for s in vocabulary().currency_signs if before.endswith(s)), None)
    if sign is None:
        return False
    # "s/" or "bs" must stand alone, not end a word ("dias 500").
    head = before[: len(before) - len(sign)]
    return not head or not head[-1].isalpha()


def unit_after(text: str, end: int) -> str | None:
    """The unit right after the number that makes it an amount or a count
    ("12.345.678 bolivares", "3 dias"), folded; None when there is none."""
    vocab = vocabulary()
    after = words_after(text, end, 2)
    if not after:
        return None
    if " ".join(after) in vocab.amount_after:
        return " ".join(after)
    return after[0] if after[0] in vocab.amount_after else None


def is_amount(text: str, start: int, end: int) -> bool:
    """A currency sign right before the number or a unit right after it
    ("S/ 1500", "12.345.678 bolivares", "3 dias")."""
    return currency_before(text, start) or unit_after(text, end) is not None
