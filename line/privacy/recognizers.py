"""Recognizers of numbers, e-mails and street addresses.

Each recognizer has a kind, a base score, a pattern and a context check that
reads the words around a candidate and returns its score or None (not PII).
Patterns never nest quantifiers over the same characters, so crafted input
(50,000 digits, thousands of "@") costs linear time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterator, Optional

from line.core.text import fold
from line.privacy.vocabulary import (
    account_cue,
    cue_after,
    currency_before,
    is_amount,
    nearest_cue,
    unit_after,
    vocabulary,
)

Candidate = tuple[int, int, float]  # start, end, score
# A context check: the text, the match and the recognizer's score -> the score, or None.
Check = Callable[[str, "re.Match[str]", float], Optional[float]]

# A number starts where no digit (or digit and separator) stands before it and
# ends where none follows: "191-12345678-0-12" holds no DNI.
_L = r"(?<!\d)(?<!\d[-.])"
_R = r"(?!\d)(?![-.]\d)"
_SEP = r"[ .-]?"
# Accounts are also written with dots, slashes, typographic dashes or dashes set
# apart ("191.34567812.0.45", "191–34567812–0–45" as phones autocorrect them,
# "191 - 34567812 - 0 - 12").
_ACCOUNT_SEP = r"(?:[ ]?[-\u2013\u2014][ ]?|[ ./])?"
_ACCOUNT_GROUPS = re.compile(r"[ ./\-\u2013\u2014]+")
_DASHES = re.compile(r"[-\u2013\u2014]")
_PE = r"(?:(?:\+|00)[ ]?51[ .-]?|\([ ]?\+?51[ ]?\)[ .-]?)"
_PE_AREA = r"(?:4[1-4]|5[1-46]|6[1-7]|7[2-6]|8[2-4])"


@dataclass(frozen=True)
class Recognizer:
    """One kind of PII in one shape. `score` is what the shape alone is worth;
    the check may raise it (a cue), lower it or drop the candidate."""

    name: str
    kind: str
    score: float
    pattern: re.Pattern
    check: Check
    needs: str = ""  # a cheap substring test (lowercase) before the pattern runs

    def find(self, text: str) -> Iterator[Candidate]:
        if self.needs and self.needs not in text.lower():
            return
        for match in self.pattern.finditer(text):
            score = self.check(text, match, self.score)
            if score is not None:
                yield match.start(), match.end(), score


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def luhn(number: str) -> bool:
    """The check digit of payment cards."""
    digits = [int(d) for d in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return len(number) >= 12 and total % 10 == 0


# --- context checks --------------------------------------------------------------


def _number_check(
    kind: str, cued: float = 0.95, others: Optional[float] = None, needs_cue: bool = False
) -> Check:
    """Score a number: an amount or a not-PII cue ("operacion", "S/") drops it; its
    own cue raises it to `cued`; another kind's cue sets it to `others` (None
    drops it); with `needs_cue` the shape alone is not enough."""

    def check(text: str, match: "re.Match[str]", score: float) -> Optional[float]:
        if is_amount(text, match.start(), match.end()):
            return None
        cue = nearest_cue(text, match.start())
        if cue == "NOT_PII":
            return None
        if cue == "GENERIC":
            cue = "TELEFONO" if kind == "TELEFONO" else None
        if cue == kind:
            return max(score, cued)
        if cue is not None:
            return others
        return None if needs_cue else score

    return check


def _not_a_company(check: Check) -> Check:
    """A RUC from 20 is a company's: published, not a person's."""

    def checked(text: str, match: "re.Match[str]", score: float) -> Optional[float]:
        return None if re.fullmatch(r"20\d{9}", match.group()) else check(text, match, score)

    return checked


# "12-05-2026 10:30", "2026-05-12 15:30": a date and the hour after it.
_DATE = re.compile(
    r"(?:\d{1,2}[-/.]\d{1,2}[-/.](?:\d{4}|\d{2})|\d{4}[-/.]\d{1,2}[-/.]\d{1,2})(?!\d)"
)
# Amounts are written in thousands ("1.234.567.890", "2,500,000.00"); account numbers never.
_THOUSANDS = re.compile(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?")


def _an_amount(text: str, match: "re.Match[str]", cue: Optional[str]) -> bool:
    """A currency sign before or a unit after makes a number an amount, except a
    currency after an account-cued number that is not written in thousands: it
    names the account's currency ("cuenta interbank 8983104567823 soles")."""
    if currency_before(text, match.start()):
        return True
    unit = unit_after(text, match.end())
    if unit is None:
        return False
    return not (
        cue == "CUENTA"
        and unit in vocabulary().account_qualifiers
        and not _THOUSANDS.fullmatch(match.group())
    )


def _card_check(text: str, match: "re.Match[str]", score: float) -> Optional[float]:
    """Cards pass Luhn; a run grouped like a card or an account and not an amount
    counts with an account cue before it or a bank named right after it."""
    cue = account_cue(text, match.start())
    if cue == "NOT_PII" or _an_amount(text, match, cue) or _DATE.match(match.group()):
        return None
    digits = _digits(match.group())
    if _PHONE_SHAPE.fullmatch(digits):
        return None  # Yape, Plin and pago móvil go by phone number: it stays a phone
    if 13 <= len(digits) <= 19 and _card_groups(match.group()):
        if luhn(digits):
            return score
        if re.fullmatch(r"\d{4}(?:[ -]\d{4}){3}", match.group()):
            return _CARD_LOOK  # written like a card, whatever its check digit
    if cue == "CUENTA" or (cue in (None, "GENERIC") and cue_after(text, match.end()) == "CUENTA"):
        return score
    if cue == "DOCUMENTO":
        return None
    # Bank formats are written in dashed groups ("191-12345678-0-12"); a long
    # digit run with nothing around it is more often a code. Dashes set apart
    # join numbers in lists ("987-654-321 - 45678912"): they need a cue.
    grouped = match.group()
    if len(_DASHES.findall(grouped)) >= 2 and " " not in grouped and cue in (None, "GENERIC"):
        return _BANK_FORMAT
    return None


_BANK_FORMAT = 0.6  # dashed groups without a cue: an account more often than not
_CARD_LOOK = 0.7  # "4919 1122 3344 5566": four groups of four are a card's
_PHONE_SHAPE = re.compile(r"(?:51|0051)?9\d{8}|(?:58|0058)?0?(?:4(?:12|14|16|22|24|26)|2\d\d)\d{7}")


def _card_groups(number: str) -> bool:
    """Cards are written whole or in groups of four (Amex 4-6-5): "4557 8800 1234
    5671". A phone and a DNI side by side are not a card, whatever Luhn says."""
    sizes = [len(g) for g in _ACCOUNT_GROUPS.split(number)]
    return (
        len(sizes) == 1
        or all(n == 4 for n in sizes[:-1])
        and 1 <= sizes[-1] <= 4
        or sizes in ([4, 6, 5], [4, 6, 4])
    )


def _cci_check(text: str, match: "re.Match[str]", score: float) -> Optional[float]:
    """20 digits: CCI in Peru, every account number in Venezuela."""
    cue = account_cue(text, match.start())
    return None if cue == "NOT_PII" or _an_amount(text, match, cue) else score


def _cedula_check(text: str, match: "re.Match[str]", score: float) -> Optional[float]:
    return None if nearest_cue(text, match.start()) == "NOT_PII" else score


def _document_by_cue(text: str, match: "re.Match[str]", score: float) -> Optional[float]:
    """A code of letters and digits is a passport, CE, CPP or PTP only after such a cue."""
    token = match.group()
    if sum(c.isdigit() for c in token) < 5:
        return None
    return score if nearest_cue(text, match.start()) == "DOCUMENTO" else None


def _email_check(text: str, match: "re.Match[str]", score: float) -> Optional[float]:
    """An institution's role mailbox (informes@, mesadepartes@) is not a person's."""
    local = re.split(r"\s*(?:@|\(?arroba\)?|\(at\)|\[at\])", match.group(), maxsplit=1, flags=re.I)[
        0
    ]
    if local.lower().strip(" .") in vocabulary().role_mailboxes:
        return None
    domain = match.group()[len(local) :]
    if not re.search(r"[A-Za-z]{2,}\s*$", domain):
        return None
    return score


# --- the number and e-mail recognizers ---------------------------------------------


def _registry() -> list[Recognizer]:
    mail = "|".join(vocabulary().mail_providers)
    flags = re.IGNORECASE
    return [
        # Peruvian mobiles: 9 digits from 9, any grouping, +51 / 51 / (51).
        Recognizer(
            "pe_mobile",
            "TELEFONO",
            0.85,
            re.compile(
                rf"{_L}(?:{_PE}|51[ .-]?)?(?:\(9\d\d\)|9(?:{_SEP}\d){{2}})(?:{_SEP}\d){{6}}{_R}"
            ),
            _number_check("TELEFONO", others=0.7),
        ),
        # Lima (01) and province (0xx) landlines, with or without +51.
        Recognizer(
            "pe_landline",
            "TELEFONO",
            0.8,
            re.compile(
                rf"{_L}(?:\(0?1\)|01(?=[ .-]?\d{{3}}[ .-]?\d{{4}}{_R})|\(0{_PE_AREA}\)|0{_PE_AREA})"
                rf"[ .-]?\d(?:{_SEP}\d){{5,6}}{_R}"
            ),
            _number_check("TELEFONO", others=0.6),
        ),
        Recognizer(
            "pe_landline_intl",
            "TELEFONO",
            0.85,
            re.compile(rf"{_L}{_PE}\(?(?:1|{_PE_AREA})\)?[ .-]?\d(?:{_SEP}\d){{5,6}}{_R}"),
            _number_check("TELEFONO", others=0.8),
        ),
        # A Lima number without its prefix: "456-7890"; bare 7 digits need a cue.
        Recognizer(
            "pe_local",
            "TELEFONO",
            0.55,
            re.compile(rf"{_L}\d{{3}}[ -]\d{{4}}{_R}"),
            _number_check("TELEFONO", cued=0.9),
        ),
        Recognizer(
            "pe_local_bare",
            "TELEFONO",
            0.85,
            re.compile(rf"{_L}\d{{6,7}}{_R}"),
            _number_check("TELEFONO", needs_cue=True),
        ),
        # Venezuela: +58 / 0058 / 58 / 0 then 4xx mobiles or 2xx landlines, 7 digits.
        Recognizer(
            "ve_phone",
            "TELEFONO",
            0.85,
            re.compile(
                rf"{_L}(?:(?:\+|00)[ ]?58[ .-]?\(?0?|\(\+?58\)[ .-]?\(?0?|\(?0|58[ .-]?\(?)"
                rf"(?:4(?:12|14|16|22|24|26)|2\d\d)\)?"
                rf"[ .-]?\d(?:{_SEP}\d){{6}}{_R}"
            ),
            _number_check("TELEFONO", others=0.75),
        ),
        # Any other country, written with its + ("+57 310 123 4567").
        Recognizer(
            "intl_phone",
            "TELEFONO",
            0.75,
            re.compile(
                rf"(?<![\w+])\+[ ]?\d{{1,3}}[ .-]?(?:\(\d{{1,4}}\)[ .-]?)?\d(?:{_SEP}\d){{6,11}}{_R}"  # noqa: E501
            ),
            _number_check("TELEFONO", cued=0.9, others=0.6),
            needs="+",
        ),
        # DNI: 8 digits (check digit "-3" allowed); a bare 8-digit number is most
        # often a DNI or a cédula here.
        Recognizer(
            "dni",
            "DOCUMENTO",
            0.7,
            re.compile(rf"{_L}\d{{8}}(?:-\d)?{_R}"),
            _number_check("DOCUMENTO", others=0.6),
        ),
        Recognizer(
            "dni_spaced",
            "DOCUMENTO",
            0.9,
            re.compile(rf"{_L}\d{{4}}[ .-]\d{{4}}{_R}"),
            _number_check("DOCUMENTO", needs_cue=True),
        ),
        # Venezuelan cédula: V-12.345.678, V12345678, E-81.234.567.
        Recognizer(
            "ve_cedula",
            "DOCUMENTO",
            0.95,
            re.compile(rf"(?<![^\W\d_])[VvEe][ ]?[-.]?[ ]?\d{{1,2}}[. ]?\d{{3}}[. ]?\d{{3}}{_R}"),
            _cedula_check,
        ),
        # 12.345.678 or 6.543.210 without the letter, when it is not an amount.
        Recognizer(
            "dotted_id",
            "DOCUMENTO",
            0.8,
            re.compile(rf"{_L}\d{{1,2}}\.\d{{3}}\.\d{{3}}{_R}"),
            _number_check("DOCUMENTO", others=0.6),
        ),
        # "45 678 912": thousands set apart by spaces, after a document cue.
        Recognizer(
            "id_spaced",
            "DOCUMENTO",
            0.9,
            re.compile(rf"{_L}\d{{1,2}} \d{{3}} \d{{3}}{_R}"),
            _number_check("DOCUMENTO", needs_cue=True),
        ),
        # 7-digit cédulas and 9-12 digit CE, passport and CPP numbers.
        Recognizer(
            "id_number",
            "DOCUMENTO",
            0.9,
            re.compile(rf"{_L}(?:\d{{7}}|\d{{9,12}}){_R}"),
            _not_a_company(_number_check("DOCUMENTO", needs_cue=True)),
        ),
        Recognizer(
            "ce_number",
            "DOCUMENTO",
            0.6,
            re.compile(rf"{_L}00\d{{7}}{_R}"),
            _number_check("DOCUMENTO", cued=0.9),
        ),
        Recognizer(
            "ruc_person",
            "DOCUMENTO",
            0.55,
            re.compile(rf"{_L}1[057]\d{{9}}{_R}"),
            _number_check("DOCUMENTO", cued=0.9),
        ),
        # Letters and digits in any order ("AB1234567", "00B123456"), after a document cue.
        Recognizer(
            "document_code",
            "DOCUMENTO",
            0.9,
            re.compile(
                r"(?<![\w-])(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9][A-Za-z0-9-]{4,14}[A-Za-z0-9](?![\w-])"
            ),
            _document_by_cue,
        ),
        # CCI and Venezuelan accounts: 20 digits, any grouping.
        Recognizer(
            "cci", "CUENTA", 0.9, re.compile(rf"{_L}\d(?:{_ACCOUNT_SEP}\d){{19}}{_R}"), _cci_check
        ),
        # Cards (Luhn) and 10-19 digit accounts: dashed groups, or after an account
        # cue; a company's RUC after a bank's name is no account ("ruc del bcp 20100047218").
        Recognizer(
            "card_or_account",
            "CUENTA",
            0.9,
            re.compile(rf"{_L}\d(?:{_ACCOUNT_SEP}\d){{9,18}}{_R}"),
            _not_a_company(_card_check),
        ),
        Recognizer(
            "email",
            "EMAIL",
            0.95,
            re.compile(
                r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,4}(?![\w-])"
            ),
            _email_check,
            needs="@",
        ),
        # Written out or spaced: "juan perez arroba gmail punto com", "ana_22 @ hotmail.com".
        Recognizer(
            "email_spelled",
            "EMAIL",
            0.85,
            re.compile(
                r"(?<![\w.+-])[\w.+-]{1,64}[ ]?(?:@|\(arroba\)|\barroba\b|\(at\)|\[at\])[ ]?[A-Za-z0-9-]{1,63}"  # noqa: E501
                r"(?:[ ]?(?:\.|\bpunto\b)[ ]?[A-Za-z]{2,6}){1,2}\b",
                flags,
            ),
            _email_check,
        ),
        Recognizer(
            "email_no_domain",
            "EMAIL",
            0.75,
            re.compile(rf"(?<![\w.+-])[\w.+-]{{1,64}}@(?:{mail})\b(?![.\w])", flags),
            _email_check,
            needs="@",
        ),
    ]


# --- addresses ------------------------------------------------------------------

_ACCENTS = {"a": "aáàÁÀ", "e": "eéÉ", "i": "iíÍ", "o": "oóÓ", "u": "uúüÚÜ", "n": "nñÑ"}


def accent_insensitive(phrase: str) -> str:
    """A folded phrase as a regex that matches it written with accents, dots
    between abbreviation letters, and any case: "aa hh" matches "AA.HH."."""
    words = []
    for word in phrase.split():
        letters = "".join(
            f"[{re.escape(_ACCENTS[c])}{c}]" if c in _ACCENTS else re.escape(c) for c in word
        )
        words.append(letters + r"\.?")
    return r"[\s.]*".join(words)


_fold_word = lru_cache(maxsize=65536)(fold)
_TOKEN = re.compile(r"[^\W_]+|[#°º]|/|[^\w\s]")
_BREAK = set(".!?;\n")
_MAX_ADDRESS_TOKENS = 24
_NAME_PARTICLES = frozenset({"de", "del", "la", "las", "los", "el"})
_SETTLEMENT_WORD = re.compile(r"[^\W_]+")
_PART_VALUE = re.compile(r"[A-Za-zÑñ]\d{0,3}|\d[\dA-Za-z]{0,4}")  # "B", "4A", "C2"
# Venezuelan and Peruvian corners: "calle 5 con av. 3", "jr. puno esquina jr. cusco".
_CORNERS = frozenset({"con", "y", "entre", "esquina", "esq", "cruce"})


class AddressRecognizer:
    """Street addresses: an opener (Av., Jr., Calle, Mz., AA.HH., Urb.) then names,
    numbers and parts, up to the last number or part value. Without a number it
    is a street name or a landmark ("cerca de la av. Arequipa"), not an address."""

    name = "address"
    kind = "DIRECCION"
    score = 0.85

    def __init__(self) -> None:
        vocab = vocabulary()
        alternatives = "|".join(accent_insensitive(o) for o in vocab.address_openers)
        self.opener = re.compile(rf"(?<![^\W\d_])(?:{alternatives})(?:(?<=\.)|(?![^\W\d_]))", re.I)
        self.vocab = vocab

    def find(self, text: str) -> Iterator[Candidate]:
        position = 0
        while True:
            match = self.opener.search(text, position)
            if match is None:
                return
            found = self._walk(text, match)
            if found:
                yield found
                position = found[1]
            else:
                position = match.end()

    def _walk(self, text: str, opener: "re.Match[str]") -> Optional[Candidate]:
        vocab = self.vocab
        rest = text[opener.end() : opener.end() + 160]
        tokens = [
            (m.start() + opener.end(), m.end() + opener.end(), m.group())
            for _, m in zip(range(_MAX_ADDRESS_TOKENS), _TOKEN.finditer(rest), strict=False)
        ]
        opener_word = _fold_word(opener.group())
        value_end, street_number, names = None, False, 0
        expect_value = opener_word.replace(" ", "") in {
            p.replace(" ", "") for p in vocab.address_parts
        }
        for k, (start, end, token) in enumerate(tokens):
            word = _fold_word(token)
            following = _fold_word(tokens[k + 1][2]) if k + 1 < len(tokens) else ""
            if token in _BREAK:
                abbreviation = k and (
                    _fold_word(tokens[k - 1][2]) in vocab.address_parts
                    or _fold_word(tokens[k - 1][2]) in vocab.address_openers
                    or len(tokens[k - 1][2]) == 1
                )
                decimal = (
                    k
                    and tokens[k - 1][2].isdigit()
                    and following.isdigit()
                    and tokens[k - 1][1] == start
                    and k + 1 < len(tokens)
                    and tokens[k + 1][0] == end
                )
                if token == "." and (abbreviation or decimal):
                    continue
                break
            if token == ",":
                if following in vocab.address_parts or following in vocab.address_openers:
                    continue
                break
            if token in "#°º/-":
                expect_value = token != "-" or expect_value
                continue
            if token.isdigit() or (token[0].isdigit() and len(token) <= 6):
                # A phone or a document is no house number ("num de casa: 4567890").
                if following in vocab.address_not_after or sum(c.isdigit() for c in token) > 5:
                    break
                # A number followed by "de" names the street ("28 de Julio").
                if following in {"de", "del"} and not expect_value:
                    names += 1
                    continue
                value_end, street_number, expect_value = end, True, False
                continue
            if (
                expect_value
                and _PART_VALUE.fullmatch(token)
                and (word not in vocab.address_stops or token.isupper())
            ):
                value_end, expect_value = end, False  # "Mz. B", "Lt. 4A", "Int. C"
                continue
            if word in ("s",) and following == "n":  # "s/n": sin número
                value_end, street_number = tokens[min(k + 2, len(tokens) - 1)][1], True
                break
            if word in vocab.address_parts:
                expect_value = True
                continue
            if word in vocab.address_openers:
                expect_value = False
                continue
            if word in _CORNERS and (
                following in vocab.address_openers or following in vocab.address_parts
            ):
                continue
            if word in vocab.address_stops and word not in _NAME_PARTICLES:
                break
            names, expect_value = names + 1, False
            if names > 6:
                break
        if value_end is None:
            return None
        value_end = self._settlement(text, value_end)
        if self._institutions_address(text, opener.start()):
            return None
        parts_only = opener_word in {"km", "kilometro"}
        return (
            opener.start(),
            value_end,
            0.6 if parts_only else (self.score if street_number else 0.8),
        )

    def _settlement(self, text: str, end: int) -> int:
        """Take in the settlement named after the lot ("Mz F Lt 8 AAHH Los Sauces",
        "calle 8 nro 215 urb. santa luisa"): its name up to a stop word or a break."""
        gap = re.match(r"[ ,\-]*", text[end : end + 5])
        opener = self.opener.match(text, end + gap.end())
        if not opener or fold(opener.group()) not in self.vocab.address_settlements:
            return end
        position, words = opener.end(), 0
        for match in _SETTLEMENT_WORD.finditer(
            text, opener.end(), min(len(text), opener.end() + 60)
        ):
            if text[position : match.start()].strip() or words == 5:
                break  # punctuation between words ends the name
            word = fold(match.group())
            if word in self.vocab.address_stops and word not in _NAME_PARTICLES:
                break
            position, words = match.end(), words + 1
        while words and fold(text[:position].split()[-1]) in _NAME_PARTICLES:
            position = text.rfind(" ", 0, position)
            words -= 1
        return position if words else end

    def _institutions_address(self, text: str, start: int) -> bool:
        """ "la oficina de Migraciones en av. España 734": an institution named in
        the words before, and nothing that makes the address the person's own."""
        vocab = self.vocab
        words = fold(text[max(0, start - 80) : start]).split()[-8:]
        phrases = {" ".join(words[k : k + n]) for n in (1, 2, 3) for k in range(len(words) - n + 1)}
        if phrases & vocab.address_personal:
            return False
        institutions = (vocab.institution_words - set(vocab.address_openers)) | vocab.institutions
        return bool(phrases & institutions)


def all_recognizers() -> list:
    return [*_registry(), AddressRecognizer()]
