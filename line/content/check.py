"""Checks the content files and explains each problem in plain words.

`rasa data validate` speaks to programmers; this speaks to the content team:
which file, which line, and what to do. Run it with `make validate`.

Beyond the format (examples, title, answer), it checks what makes an answer true and
safe (docs/content.md): its provenance, that every source is official, that every phone
number and web address shown is in the phone book, the protection rule of the
status_sensitive topics, and the length. What it accepts is written, readable, in
contract/content_rules.yml.

Each problem is a code with its details (`Said`): the command line words it in English
(`WORDING`), the console in Spanish (console/templates/_content.html). The checks read
the files through `Files`, so the console can check a save before it writes anything.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import urlsplit

import yaml

from line.content.provenance import as_date
from line.core import topics
from line.core.settings import PROJECT_ROOT, settings
from line.core.text import fold, normalise, whole_words
from line.understanding import names

MIN_EXAMPLES = 15
MAX_ANSWER_CHARS = 700
MAX_TITLE_CHARS = 20  # WhatsApp reply-button limit
# What `make new-topic` leaves where the content team still has to write.
SCAFFOLD_MARKER = "TODO"
# How long a check of the facts holds, in months.
REVIEW_MONTHS = 12
REVIEW_MONTHS_STATUS_SENSITIVE = 3
PROVENANCE_FIELDS = ("sources", "verified_on", "verified_by", "review_by")
PHONE_BOOK_FIELDS = ("name", "kind", "value", "source", "verified_on")
PHONE_BOOK_KINDS = ("phone", "web")

# Web addresses in an answer: with a scheme or www., or a bare official domain.
_ADDRESS = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'*_)\]]+"
    r"|(?<![@\w.-])(?:[a-z0-9-]+\.)+(?:pe|org|com|net|int|info|edu)\b(?:/[^\s<>\"'*_)\]]*)?",
    re.IGNORECASE,
)
# A run of digits, maybe grouped by spaces, dots or dashes ("0800-15170", "987 654 321").
_NUMBER = re.compile(r"(?<![\w/:.-])\+?\d+(?:[ .-]\d+)*(?![\w:])")
# Words (folded) after which a number is a norm's ("Ley 32154", "art. 23", "N° 1582").
_NORM_BEFORE = re.compile(r"\b(?:ley|decreto|resolucion|norma|articulo|art|nts|rm|rs|ds|dl|nro)$")
_OWN_DOC = re.compile(r"^docs/[\w./-]+\.md\b")

# Every problem the checks find, in English for the command line; the console words the
# same codes in Spanish (console/templates/_content.html). A list detail is joined by ", ".
WORDING = {
    "not_yaml": (
        "the file is not valid YAML here. Check the indentation (spaces, not tabs) and that "
        "every example line starts with '    - '."
    ),
    "phone_not_listed": (
        "it shows the phone number {number}, which is not in contract/phone_book.yml. Add it "
        "there first, with its source and the day you checked it, or take it out. (Not a "
        "phone number? Write its unit after it, like '180 días', or 'S/' before an amount.)"
    ),
    "address_off_domain": (
        "it shows the web address {address}, which is not on an official domain "
        "(allowed_source_domains in contract/topics.yml). Give the official page instead."
    ),
    "address_not_listed": (
        "it shows the web address {address}, which is not in contract/phone_book.yml. Add it "
        "there first (with its source and the day you checked it), or use an address that is "
        "listed."
    ),
    "source_empty": (
        "the source '{source}' is still empty or TODO: write the official web address or the "
        "norm (kind, number and date) the facts come from."
    ),
    "source_off_domain": (
        "the source '{source}' is not on an official domain (allowed_source_domains in "
        "contract/topics.yml). Find the same fact on an official page or in the norm, or "
        "leave the fact out of the answer."
    ),
    "source_own_doc": (
        "the source '{source}' is the line's own document, a source only for the line's own "
        "policy ({topics}). Cite the official page or norm instead."
    ),
    "source_unknown": (
        "the source '{source}' is neither an official web address nor a norm with its number. "
        "Write the official web address, or the norm as kind, number and date ('Ley 32154 "
        "(El Peruano, 2024-11-05)'); if the fact only appears in the press or a publication "
        "without either, leave it out of the answer (docs/content.md, section 1)."
    ),
    "provenance_missing": (
        "the provenance has no {fields}. Under 'metadata:' write 'sources:' (a list), "
        "'verified_on:', 'verified_by:' and 'review_by:' (docs/content.md, section 3)."
    ),
    "verifier_not_a_role": (
        "verified_by '{verified_by}' is not one of the roles in contract/content_rules.yml "
        "({roles}). Write the role of who checked the facts, never a person's name."
    ),
    "not_a_date": "{field} '{value}' is not a date: write it as YYYY-MM-DD.",
    "review_not_after": (
        "review_by {review_by} is not after verified_on {verified_on}: set the day the facts "
        "must be checked again (at most {months} months later)."
    ),
    "review_too_late": (
        "review_by {review_by} is more than {months} months after verified_on {verified_on}: "
        "facts are checked at least every 12 months. Set review_by to {latest} or earlier."
    ),
    "review_too_late_sensitive": (
        "review_by {review_by} is more than {months} months after verified_on {verified_on}: "
        "this topic is status_sensitive in contract/topics.yml, so its facts are checked at "
        "least every 3 months. Set review_by to {latest} or earlier."
    ),
    "no_person_last": (
        "this topic is status_sensitive: the answer must end by offering a person. Make the "
        "last line 'Escribe *persona* y alguien del equipo te orienta.'"
    ),
    "promise": (
        "this topic is status_sensitive and the answer promises an outcome ('{phrase}'). "
        "Nobody can promise a card, a waiver or a date: say what is certain and that each case "
        "is decided by the authority (the phrases refused are under 'promises' in "
        "contract/content_rules.yml)."
    ),
    "authority_without_risk": (
        "this topic is status_sensitive and the answer sends people to '{authority}', but does "
        "not say the risk for someone without papers. Add a line such as 'Si no tienes papeles "
        "en regla, habla primero con una persona.' (the phrases that count are under 'risks' "
        "in contract/content_rules.yml)."
    ),
    "no_examples": (
        "no examples for '{intent}'. The file name must match the intent: add "
        "'- intent: {intent}' under 'nlu:'."
    ),
    "few_examples": (
        "only {count} examples; write at least {minimum}, each a different way people ask."
    ),
    "no_title": (
        "no short title. Add 'metadata:' with 'title: ...' (shown on the '¿Quisiste decir…?' "
        "buttons)."
    ),
    "long_title": (
        "the title '{title}' is too long for a WhatsApp button; keep it to {maximum} characters."
    ),
    "example_dash": "an example must start with '- ' (dash and space).",
    "no_answer": (
        "no answer. Add 'responses:' with '{answer}:' and '- text: |-' followed by the answer."
    ),
    "scaffold_left": (
        "the answer still has the {marker} lines of `make new-topic`; write the answer in "
        "their place."
    ),
    "long_answer": (
        "the answer has {count} characters; keep it to {maximum} so it reads well on a phone."
    ),
    "in_answer": "the answer: {problem}",
    "in_response": "the response {name}: {problem}",
    "entry_not_a_mapping": (
        "an entry must be a list item with name, kind, value, source and verified_on."
    ),
    "entry_missing": ("the entry '{label}' has no {fields}. Every entry has {required}."),
    "entry_kind": "the entry '{label}' has kind '{kind}': write phone or web.",
    "entry_date": "the entry '{label}' has verified_on '{value}': write a date as YYYY-MM-DD.",
    "entry_off_domain": (
        "the entry '{label}' is the address {value}, which is not on an official domain "
        "(allowed_source_domains in contract/topics.yml)."
    ),
    "entry_source": "the entry '{label}': {problem}",
    "no_entries": "the phone book needs 'entries:' with one item per value.",
    "used_in_missing": (
        "{value} is shown by {responses} but not listed in its used_in: add them, so a change "
        "of this value reaches every answer."
    ),
    "used_in_extra": (
        "{value} is listed in used_in of {responses}, which no longer show it: take them out "
        "of used_in."
    ),
    "contract_file_missing": (
        "the contract lists topic '{topic}' but this file is missing. Create it with "
        "`make new-topic ID={topic} TITLE=...`."
    ),
    "rumour_file_missing": (
        "contract/rumours.yml lists rumour '{topic}' but this file is missing. Create it like "
        "the other rumour_*.yml files: examples with a hearsay frame ('dicen que...'), a title "
        "and the answer."
    ),
    "repeated_example": (
        "this example repeats one in {first}:{first_line}. Keep one, or reword it so it "
        "teaches something new."
    ),
}


@dataclass(frozen=True)
class Said:
    """One problem: a code of WORDING and its details (a detail may be another Said)."""

    code: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return WORDING[self.code].format(
            **{
                key: ", ".join(map(str, value)) if isinstance(value, (list, tuple)) else value
                for key, value in self.details.items()
            }
        )


def _said(code: str, **details: Any) -> Said:
    return Said(code, details)


def _words(phrases: Iterable[str]) -> re.Pattern:
    return whole_words("|".join(f"(?:{p})" for p in phrases))


@dataclass(frozen=True)
class Rules:
    """What the checks accept: contract/topics.yml, content_rules.yml and the phone book."""

    status_sensitive: frozenset[str]
    allowed_domains: tuple[str, ...]
    roles: tuple[str, ...]
    norm: re.Pattern
    own_policy_topics: frozenset[str]
    number_units: re.Pattern
    person: re.Pattern
    promises: re.Pattern
    authorities: re.Pattern
    risks: re.Pattern
    phones: frozenset[str]  # digits only
    addresses: frozenset[str]  # as compared by _address_key


@dataclass(frozen=True)
class Files:
    """The content files the checks read: a checkout's, where `pending` gives the text some
    of them are about to have (the console checks a save before writing anything)."""

    root: Path
    faq_dir: Path
    phone_book: Path
    pending: Mapping[Path, str] = field(default_factory=dict)

    def read(self, path: Path) -> str:
        return self.pending[path] if path in self.pending else path.read_text(encoding="utf-8")

    def exists(self, path: Path) -> bool:
        return path in self.pending or path.exists()

    def topic_files(self) -> list[Path]:
        return sorted(
            {*self.faq_dir.glob("*.yml"), *(p for p in self.pending if p.parent == self.faq_dir)}
        )

    def data_files(self) -> list[Path]:
        data = self.root / "data"
        return sorted({*data.rglob("*.yml"), *(p for p in self.pending if p.is_relative_to(data))})


def contract_dir() -> Path:
    return settings.topics_file.parent


def rules_file() -> Path:
    return contract_dir() / "content_rules.yml"


def phone_book_file() -> Path:
    return contract_dir() / "phone_book.yml"


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _address_key(address: str) -> str:
    """The same address however it is written: no scheme, no www., no trailing slash."""
    address = re.sub(r"^(?:https?://)?(?:www\.)?", "", address.strip().lower())
    return address.rstrip("/")


def _host(address: str) -> str:
    address = address.strip()
    if not re.match(r"^https?://", address, re.IGNORECASE):
        address = f"https://{address}"
    return (urlsplit(address).hostname or "").lower()


def on_allowed_domain(address: str, domains: Iterable[str]) -> bool:
    """The address is on one of the domains, or on a subdomain of one."""
    host = _host(address)
    return any(host == d or host.endswith(f".{d}") for d in domains)


def phone_book_entries(text: str) -> list:
    data = yaml.safe_load(text) or {}
    return list(data.get("entries") or [])


def build_rules(contract: dict, content_rules: dict, phone_book_entries: Iterable[dict]) -> Rules:
    """The rules from the three files' contents (tests pass their own)."""
    entries = [e for e in phone_book_entries if isinstance(e, dict)]
    norms = [rf"(?:{kind}) (?:n |no |nro )?\d" for kind in content_rules["norm_kinds"]]
    norms += [re.escape(fold(name)) for name in content_rules["named_norms"]]
    return Rules(
        status_sensitive=frozenset(
            t["id"] for t in contract.get("faq") or [] if t.get("status_sensitive")
        ),
        allowed_domains=tuple(contract.get("allowed_source_domains") or ()),
        roles=tuple(content_rules["verifier_roles"]),
        norm=re.compile(rf"^(?:{'|'.join(norms)})"),
        own_policy_topics=frozenset(content_rules["own_policy_topics"]),
        number_units=re.compile(rf"^\s*\*?\s*(?:{'|'.join(content_rules['number_units'])})\b"),
        person=_words([content_rules["person_word"]]),
        promises=_words(content_rules["promises"]),
        authorities=_words(content_rules["authorities"]),
        risks=_words(content_rules["risks"]),
        phones=frozenset(_digits(str(e.get("value"))) for e in entries if e.get("kind") == "phone"),
        addresses=frozenset(
            _address_key(str(e.get("value"))) for e in entries if e.get("kind") == "web"
        ),
    )


@lru_cache(maxsize=1)
def line_rules() -> Rules:
    """The line's own rules, read once per run."""
    content_rules = yaml.safe_load(rules_file().read_text(encoding="utf-8"))
    return build_rules(
        topics.contract(),
        content_rules,
        phone_book_entries(phone_book_file().read_text(encoding="utf-8")),
    )


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    said: Said

    @property
    def message(self) -> str:
        return str(self.said)

    def __str__(self) -> str:
        where = (
            self.path.relative_to(PROJECT_ROOT)
            if self.path.is_relative_to(PROJECT_ROOT)
            else self.path
        )
        return f"{where}:{self.line}: {self.message}"


def _line_of(text: str, needle: str) -> int:
    index = text.find(needle)
    return text.count("\n", 0, index) + 1 if index >= 0 else 1


@lru_cache(maxsize=256)
def _parsed(text: str) -> Any:
    """A file's YAML, parsed once for every check that reads it (never changed by them)."""
    return yaml.safe_load(text)


def _load(path: Path, text: Optional[str] = None) -> tuple[str, dict | None, list[Problem]]:
    """The file's text (`text` when given, else read), its YAML, and why it does not read."""
    text = path.read_text(encoding="utf-8") if text is None else text
    try:
        return text, _parsed(text) or {}, []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return text, None, [Problem(path, line, _said("not_yaml"))]


# --- What an answer shows: phone numbers and web addresses ---------------------------


def addresses_in(text: str) -> list[str]:
    """Every web address written in a text, without the punctuation after it."""
    return [m.group().rstrip(".,;:!?") for m in _ADDRESS.finditer(text)]


def numbers_in(text: str, rules: Rules) -> list[str]:
    """Every number of 3 or more digits that reads as a phone number: not a year, an
    amount (S/ ...), a norm's number (Ley 32154, 000110-2025-MIGRACIONES), a time (8:00)
    or a quantity with its unit (180 días)."""
    text = _ADDRESS.sub(" ", text)
    found = []
    for match in _NUMBER.finditer(text):
        number, before, after = match.group(), text[: match.start()], text[match.end() :]
        digits = _digits(number)
        if len(digits) < 3:
            continue
        if re.fullmatch(r"(?:19|20)\d\d", number):
            continue  # a year
        if re.search(r"(?:S/|US\$|\$)\s*\**\s*$|\bN[°º.]\s*$", before, re.IGNORECASE):
            continue  # an amount, or a norm's number (N° 1582)
        if re.match(r"^\s*%|^-[A-Za-z]", after):
            continue  # a percentage, or a norm's number with its issuer (-2025-MIGRACIONES)
        if _NORM_BEFORE.search(normalise(before[-30:])) or rules.number_units.match(
            normalise(after[:20])
        ):
            continue
        found.append(number)
    return found


def shown_problems(text: str, rules: Rules) -> list[Said]:
    """Phone numbers and web addresses a text shows that the phone book does not list,
    and addresses outside the allowed domains."""
    problems = [
        _said("phone_not_listed", number=number)
        for number in numbers_in(text, rules)
        if _digits(number) not in rules.phones
    ]
    for address in addresses_in(text):
        if not on_allowed_domain(address, rules.allowed_domains):
            problems.append(_said("address_off_domain", address=address))
        elif _address_key(address) not in rules.addresses:
            problems.append(_said("address_not_listed", address=address))
    return problems


# --- Provenance and sources ----------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the last day of the month when it has fewer days)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def source_problem(source: str, topic: str, rules: Rules) -> Optional[Said]:
    """Why a source is not acceptable, or None: a web address on an allowed domain, a norm
    with its number, or the line's own docs for the line's own policy topics."""
    source = str(source or "").strip()
    if not source or SCAFFOLD_MARKER in source:
        return _said("source_empty", source=source)
    if re.match(r"^https?://", source, re.IGNORECASE):
        if on_allowed_domain(source, rules.allowed_domains):
            return None
        return _said("source_off_domain", source=source)
    if _OWN_DOC.match(source):
        if topic in rules.own_policy_topics:
            return None
        return _said("source_own_doc", source=source, topics=sorted(rules.own_policy_topics))
    if rules.norm.match(fold(source)):
        return None
    return _said("source_unknown", source=source)


def provenance_problems(topic: str, metadata: dict, rules: Rules) -> list[Said]:
    """What is missing or wrong in a topic's provenance (docs/content.md, section 3)."""
    problems = []
    missing = [f for f in PROVENANCE_FIELDS if not metadata.get(f)]
    if missing:
        problems.append(_said("provenance_missing", fields=missing))
    sources = metadata.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    problems += filter(None, (source_problem(source, topic, rules) for source in sources))
    verified_by = metadata.get("verified_by")
    if verified_by and fold(str(verified_by)) not in {fold(r) for r in rules.roles}:
        problems.append(_said("verifier_not_a_role", verified_by=verified_by, roles=rules.roles))
    verified_on, review_by = (
        as_date(metadata.get("verified_on")),
        as_date(metadata.get("review_by")),
    )
    for name, value, day in (
        ("verified_on", metadata.get("verified_on"), verified_on),
        ("review_by", metadata.get("review_by"), review_by),
    ):
        if value and day is None:
            problems.append(_said("not_a_date", field=name, value=value))
    if verified_on and review_by:
        sensitive = topic in rules.status_sensitive
        months = REVIEW_MONTHS_STATUS_SENSITIVE if sensitive else REVIEW_MONTHS
        dates = {"review_by": review_by, "verified_on": verified_on, "months": months}
        latest = add_months(verified_on, months)
        if review_by <= verified_on:
            problems.append(_said("review_not_after", **dates))
        elif review_by > latest:
            code = "review_too_late_sensitive" if sensitive else "review_too_late"
            problems.append(_said(code, latest=latest, **dates))
    return problems


# --- The protection rule of status_sensitive topics -----------------------------------


def protection_problems(body: str, rules: Rules) -> list[Said]:
    """The protection rule (docs/content.md, section 6) for a status_sensitive answer."""
    problems = []
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines or not rules.person.search(normalise(lines[-1])):
        problems.append(_said("no_person_last"))
    words = normalise(body)
    promise = rules.promises.search(words)
    if promise:
        problems.append(_said("promise", phrase=promise.group()))
    authority = rules.authorities.search(words)
    if authority and not rules.risks.search(words):
        problems.append(_said("authority_without_risk", authority=authority.group()))
    return problems


# --- Topic files -----------------------------------------------------------------------


def check_topic_file(
    path: Path, rules: Optional[Rules] = None, text: Optional[str] = None
) -> list[Problem]:
    """One FAQ topic file (or the `text` it is about to have): its examples, title,
    provenance and answer."""
    rules = rules or line_rules()
    text, data, problems = _load(path, text)
    if data is None:
        return problems
    topic = path.stem
    intent, answer = names.faq_key(topic), names.faq_response(topic)
    blocks = [b for b in data.get("nlu") or [] if b.get("intent") == intent]
    if not blocks:
        problems.append(Problem(path, 1, _said("no_examples", intent=intent)))
    for block in blocks:
        line = _line_of(text, f"intent: {intent}")
        examples = [e for e in str(block.get("examples") or "").splitlines() if e.strip()]
        if len(examples) < MIN_EXAMPLES:
            problems.append(
                Problem(
                    path, line, _said("few_examples", count=len(examples), minimum=MIN_EXAMPLES)
                )
            )
        metadata = block.get("metadata") or {}
        title = str(metadata.get("title") or "")
        if not title:
            problems.append(Problem(path, line, _said("no_title")))
        elif len(title) > MAX_TITLE_CHARS:
            problems.append(
                Problem(path, line, _said("long_title", title=title, maximum=MAX_TITLE_CHARS))
            )
        for said in provenance_problems(topic, metadata, rules):
            problems.append(Problem(path, _provenance_line(text, said, line), said))
        for example in examples:
            if not example.lstrip().startswith("- "):
                problems.append(Problem(path, _line_of(text, example), _said("example_dash")))
    responses = (data.get("responses") or {}).get(answer)
    if not responses:
        problems.append(Problem(path, 1, _said("no_answer", answer=answer)))
    for response in responses or []:
        body = str((response or {}).get("text") or "")
        where = _line_of(text, answer)
        if SCAFFOLD_MARKER in body:
            problems.append(Problem(path, where, _said("scaffold_left", marker=SCAFFOLD_MARKER)))
            continue
        if len(body) > MAX_ANSWER_CHARS:
            problems.append(
                Problem(
                    path, where, _said("long_answer", count=len(body), maximum=MAX_ANSWER_CHARS)
                )
            )
        problems += [
            Problem(path, where, _said("in_answer", problem=said))
            for said in shown_problems(body, rules)
        ]
        if topic in rules.status_sensitive:
            problems += [Problem(path, where, said) for said in protection_problems(body, rules)]
    return problems


def _provenance_line(text: str, said: Said, default: int) -> int:
    """The line of the source or field a provenance problem is about."""
    quoted = next(
        (str(said.details[k]) for k in ("source", "verified_by", "value") if said.details.get(k)),
        "",
    )
    if quoted and quoted in text:
        return _line_of(text, quoted)
    if "field" in said.details:
        return _line_of(text, f"{said.details['field']}:")
    if said.code.startswith("review_"):
        return _line_of(text, "review_by:")
    return _line_of(text, "metadata:") if said.code == "provenance_missing" else default


# --- domain.yml and the phone book -------------------------------------------------------


def check_domain(path: Path, rules: Rules, text: Optional[str] = None) -> list[Problem]:
    """The line's own responses show only numbers and addresses of the phone book."""
    text, data, problems = _load(path, text)
    for name, variants in ((data or {}).get("responses") or {}).items():
        for variant in variants or []:
            body = str((variant or {}).get("text") or "")
            problems += [
                Problem(
                    path, _line_of(text, f"{name}:"), _said("in_response", name=name, problem=s)
                )
                for s in shown_problems(body, rules)
            ]
    return problems


def _entry_problems(entry: Any, rules: Rules) -> list[Said]:
    if not isinstance(entry, dict):
        return [_said("entry_not_a_mapping")]
    label = entry.get("id") or entry.get("name") or entry.get("value") or "?"
    problems = []
    missing = [f for f in PHONE_BOOK_FIELDS if not entry.get(f)]
    if missing:
        problems.append(
            _said("entry_missing", label=label, fields=missing, required=PHONE_BOOK_FIELDS)
        )
    if entry.get("kind") and entry["kind"] not in PHONE_BOOK_KINDS:
        problems.append(_said("entry_kind", label=label, kind=entry["kind"]))
    if entry.get("verified_on") and as_date(entry["verified_on"]) is None:
        problems.append(_said("entry_date", label=label, value=entry["verified_on"]))
    value = str(entry.get("value") or "")
    if entry.get("kind") == "web" and value and not on_allowed_domain(value, rules.allowed_domains):
        problems.append(_said("entry_off_domain", label=label, value=value))
    if entry.get("source"):
        why = source_problem(str(entry["source"]), "", rules)
        if why:
            problems.append(_said("entry_source", label=label, problem=why))
    return problems


def check_phone_book(path: Path, rules: Rules, text: Optional[str] = None) -> list[Problem]:
    """Every entry can be checked again: name, kind, value, an official source, a date."""
    text, data, problems = _load(path, text)
    if data is None:
        return problems
    entries = data.get("entries")
    if not isinstance(entries, list):
        return [Problem(path, 1, _said("no_entries"))]
    for entry in entries:
        key = str(entry.get("id") or entry.get("value")) if isinstance(entry, dict) else ""
        where = _line_of(text, key) if key else 1
        problems += [Problem(path, where, said) for said in _entry_problems(entry, rules)]
    return problems


def response_texts(files: Files, paths: Iterable[Path]) -> dict[str, str]:
    """Response name -> its texts, from domain.yml and the topic files."""
    texts: dict[str, str] = {}
    for path in paths:
        _, data, _ = _load(path, files.read(path))
        for name, variants in ((data or {}).get("responses") or {}).items():
            texts[name] = "\n".join(str((v or {}).get("text") or "") for v in variants or [])
    return texts


def shows(kind: str, value: str, body: str, rules: Rules) -> bool:
    """The text shows this phone number or web address."""
    if kind == "phone":
        return _digits(value) in {_digits(n) for n in numbers_in(body, rules)}
    return _address_key(value) in {_address_key(a) for a in addresses_in(body)}


def used_in_problems(
    path: Path, texts: dict[str, str], rules: Rules, text: Optional[str] = None
) -> list[Problem]:
    """Each entry's `used_in` names exactly the responses that show its value, so that a
    changed number is changed everywhere (docs/content.md, section 5)."""
    text, data, _ = _load(path, text)
    problems = []
    for entry in (data or {}).get("entries") or []:
        if not isinstance(entry, dict) or entry.get("kind") not in PHONE_BOOK_KINDS:
            continue
        value = str(entry.get("value") or "")
        shown = {name for name, body in texts.items() if shows(entry["kind"], value, body, rules)}
        listed = set(entry.get("used_in") or [])
        where = _line_of(text, str(entry.get("id") or value))
        if shown - listed:
            missing = sorted(shown - listed)
            problems.append(
                Problem(path, where, _said("used_in_missing", value=value, responses=missing))
            )
        if listed - shown:
            extra = sorted(listed - shown)
            problems.append(
                Problem(path, where, _said("used_in_extra", value=value, responses=extra))
            )
    return problems


def check_all(root: Path = PROJECT_ROOT) -> list[Problem]:
    """`make validate`: the checkout's files as they are, against the line's rules."""
    files = Files(root, settings.faq_dir, phone_book_file())
    return check_files(files, line_rules(), topics.faq_ids(), topics.rumour_ids())


def check_files(
    files: Files, rules: Rules, contract_ids: Iterable[str], rumour_ids: Iterable[str]
) -> list[Problem]:
    """Every check of `make validate` on `files`: each listed topic has its file, the phone
    book, domain.yml, the topic files, and no example twice in the training data."""
    root, faq_dir = files.root, files.faq_dir
    listed = [(topic, "contract_file_missing") for topic in contract_ids]
    listed += [(topic, "rumour_file_missing") for topic in rumour_ids]
    problems = [
        Problem(faq_dir / f"{topic}.yml", 1, _said(code, topic=topic))
        for topic, code in listed
        if not files.exists(faq_dir / f"{topic}.yml")
    ]
    domain = root / "domain.yml"
    problems += check_phone_book(files.phone_book, rules, files.read(files.phone_book))
    problems += check_domain(domain, rules, files.read(domain))
    problems += used_in_problems(
        files.phone_book,
        response_texts(files, [domain, *files.topic_files()]),
        rules,
        files.read(files.phone_book),
    )
    seen: dict[str, list[tuple[Path, int, str]]] = defaultdict(list)
    for path in files.data_files():
        text = files.read(path)
        if path.parent == faq_dir:
            problems.extend(check_topic_file(path, rules, text))
        text, data, load_problems = _load(path, text)
        problems.extend(load_problems if path.parent != faq_dir else [])
        for block in (data or {}).get("nlu") or []:
            for example in str(block.get("examples") or "").splitlines():
                cleaned = re.sub(r"^\s*-\s*", "", example).strip()
                if cleaned:
                    seen[" ".join(cleaned.casefold().split())].append(
                        (path, _line_of(text, example), cleaned)
                    )
    for places in seen.values():
        if len(places) > 1:
            (first, first_line, _), *others = places
            for path, line, example in others:
                said = _said(
                    "repeated_example",
                    first=first.relative_to(root),
                    first_line=first_line,
                    example=example,
                )
                problems.append(Problem(path, line, said))
    return problems


def main() -> int:
    problems = check_all()
    for problem in problems:
        print(problem, flush=True)
    if problems:
        print(f"\n{len(problems)} problem(s) to fix before training.")
        return 1
    print(
        "Content looks good: every topic has its examples, title, answer and provenance, "
        "every source is official and every number and address is in the phone book."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
