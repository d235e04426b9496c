"""Checks the content files and explains each problem in plain words.

`rasa data validate` speaks to programmers; this speaks to the content team:
which file, which line, and what to do. Run it with `make validate`.

Beyond the format (examples, title, answer), it checks what makes an answer true and
safe (docs/content.md): its provenance, that every source is official, that every phone
number and web address shown is in the phone book, the protection rule of the
status_sensitive topics, and the length. What it accepts is written, readable, in
contract/content_rules.yml.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional
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


def _phone_book_entries(path: Path) -> list:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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
    return build_rules(topics.contract(), content_rules, _phone_book_entries(phone_book_file()))


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str

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


def _load(path: Path) -> tuple[str, dict | None, list[Problem]]:
    text = path.read_text(encoding="utf-8")
    try:
        return text, yaml.safe_load(text) or {}, []
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        return (
            text,
            None,
            [
                Problem(
                    path,
                    line,
                    "the file is not valid YAML here. Check the "
                    "indentation (spaces, not tabs) and that every example line "
                    "starts with '    - '.",
                )
            ],
        )


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


def shown_problems(text: str, rules: Rules) -> list[str]:
    """Phone numbers and web addresses a text shows that the phone book does not list,
    and addresses outside the allowed domains."""
    problems = []
    for number in numbers_in(text, rules):
        if _digits(number) not in rules.phones:
            problems.append(
                f"it shows the phone number {number}, which is not in "
                "contract/phone_book.yml. Add it there first, with its source and the day "
                "you checked it, or take it out. (Not a phone number? Write its unit after "
                "it, like '180 días', or 'S/' before an amount.)"
            )
    for address in addresses_in(text):
        if not on_allowed_domain(address, rules.allowed_domains):
            problems.append(
                f"it shows the web address {address}, which is not on an official domain "
                "(allowed_source_domains in contract/topics.yml). Give the official page "
                "instead."
            )
        elif _address_key(address) not in rules.addresses:
            problems.append(
                f"it shows the web address {address}, which is not in "
                "contract/phone_book.yml. Add it there first (with its source and the day "
                "you checked it), or use an address that is listed."
            )
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


def source_problem(source: str, topic: str, rules: Rules) -> Optional[str]:
    """Why a source is not acceptable, or None: a web address on an allowed domain, a norm
    with its number, or the line's own docs for the line's own policy topics."""
    source = str(source or "").strip()
    if not source or SCAFFOLD_MARKER in source:
        return (
            f"the source '{source}' is still empty or TODO: write the official web address "
            "or the norm (kind, number and date) the facts come from."
        )
    if re.match(r"^https?://", source, re.IGNORECASE):
        if on_allowed_domain(source, rules.allowed_domains):
            return None
        return (
            f"the source '{source}' is not on an official domain (allowed_source_domains "
            "in contract/topics.yml). Find the same fact on an official page or in the "
            "norm, or leave the fact out of the answer."
        )
    if _OWN_DOC.match(source):
        if topic in rules.own_policy_topics:
            return None
        return (
            f"the source '{source}' is the line's own document, a source only for the "
            f"line's own policy ({', '.join(sorted(rules.own_policy_topics))}). Cite the "
            "official page or norm instead."
        )
    if rules.norm.match(fold(source)):
        return None
    return (
        f"the source '{source}' is neither an official web address nor a "
        "norm with its number. Write the official web address, or the norm as kind, number "
        "and date ('Ley 32154 (El Peruano, 2024-11-05)'); if the fact only appears in the "
        "press or a publication without either, leave it out of the answer "
        "(docs/content.md, section 1)."
    )


def provenance_problems(topic: str, metadata: dict, rules: Rules) -> list[str]:
    """What is missing or wrong in a topic's provenance (docs/content.md, section 3)."""
    problems = []
    missing = [f for f in PROVENANCE_FIELDS if not metadata.get(f)]
    if missing:
        problems.append(
            f"the provenance has no {', '.join(missing)}. Under 'metadata:' write "
            "'sources:' (a list), 'verified_on:', 'verified_by:' and 'review_by:' "
            "(docs/content.md, section 3)."
        )
    sources = metadata.get("sources") or []
    if isinstance(sources, str):
        sources = [sources]
    for source in sources:
        why = source_problem(source, topic, rules)
        if why:
            problems.append(why)
    verified_by = metadata.get("verified_by")
    if verified_by and fold(str(verified_by)) not in {fold(r) for r in rules.roles}:
        problems.append(
            f"verified_by '{verified_by}' is not one of the roles in "
            f"contract/content_rules.yml ({', '.join(rules.roles)}). Write the role of "
            "who checked the facts, never a person's name."
        )
    verified_on, review_by = (
        as_date(metadata.get("verified_on")),
        as_date(metadata.get("review_by")),
    )
    for field, value, day in (
        ("verified_on", metadata.get("verified_on"), verified_on),
        ("review_by", metadata.get("review_by"), review_by),
    ):
        if value and day is None:
            problems.append(f"{field} '{value}' is not a date: write it as YYYY-MM-DD.")
    if verified_on and review_by:
        sensitive = topic in rules.status_sensitive
        months = REVIEW_MONTHS_STATUS_SENSITIVE if sensitive else REVIEW_MONTHS
        latest = add_months(verified_on, months)
        if review_by <= verified_on:
            problems.append(
                f"review_by {review_by} is not after verified_on {verified_on}: set the "
                f"day the facts must be checked again (at most {months} months later)."
            )
        elif review_by > latest:
            why = (
                "this topic is status_sensitive in contract/topics.yml, so its facts are "
                "checked at least every 3 months"
                if sensitive
                else "facts are checked at least every 12 months"
            )
            problems.append(
                f"review_by {review_by} is more than {months} months after verified_on "
                f"{verified_on}: {why}. Set review_by to {latest} or earlier."
            )
    return problems


# --- The protection rule of status_sensitive topics -----------------------------------


def protection_problems(body: str, rules: Rules) -> list[str]:
    """The protection rule (docs/content.md, section 6) for a status_sensitive answer."""
    problems = []
    lines = [line for line in body.splitlines() if line.strip()]
    if not lines or not rules.person.search(normalise(lines[-1])):
        problems.append(
            "this topic is status_sensitive: the answer must end by offering a person. "
            "Make the last line 'Escribe *persona* y alguien del equipo te orienta.'"
        )
    words = normalise(body)
    promise = rules.promises.search(words)
    if promise:
        problems.append(
            f"this topic is status_sensitive and the answer promises an outcome "
            f"('{promise.group()}'). Nobody can promise a card, a waiver or a date: say "
            "what is certain and that each case is decided by the authority (the phrases "
            "refused are under 'promises' in contract/content_rules.yml)."
        )
    authority = rules.authorities.search(words)
    if authority and not rules.risks.search(words):
        problems.append(
            f"this topic is status_sensitive and the answer sends people to "
            f"'{authority.group()}', but does not say the risk for someone without papers. "
            "Add a line such as 'Si no tienes papeles en regla, habla primero con una "
            "persona.' (the phrases that count are under 'risks' in "
            "contract/content_rules.yml)."
        )
    return problems


# --- Topic files -----------------------------------------------------------------------


def check_topic_file(path: Path, rules: Optional[Rules] = None) -> list[Problem]:
    """One FAQ topic file: its examples, title, provenance and answer."""
    rules = rules or line_rules()
    text, data, problems = _load(path)
    if data is None:
        return problems
    topic = path.stem
    intent, answer = names.faq_key(topic), names.faq_response(topic)
    blocks = [b for b in data.get("nlu") or [] if b.get("intent") == intent]
    if not blocks:
        problems.append(
            Problem(
                path,
                1,
                f"no examples for '{intent}'. The file name must match "
                f"the intent: add '- intent: {intent}' under 'nlu:'.",
            )
        )
    for block in blocks:
        line = _line_of(text, f"intent: {intent}")
        examples = [e for e in str(block.get("examples") or "").splitlines() if e.strip()]
        if len(examples) < MIN_EXAMPLES:
            problems.append(
                Problem(
                    path,
                    line,
                    f"only {len(examples)} examples; write at least "
                    f"{MIN_EXAMPLES}, each a different way people ask.",
                )
            )
        metadata = block.get("metadata") or {}
        title = str(metadata.get("title") or "")
        if not title:
            problems.append(
                Problem(
                    path,
                    line,
                    "no short title. Add 'metadata:' with 'title: ...' "
                    "(shown on the '¿Quisiste decir…?' buttons).",
                )
            )
        elif len(title) > MAX_TITLE_CHARS:
            problems.append(
                Problem(
                    path,
                    line,
                    f"the title '{title}' is too long for a WhatsApp "
                    f"button; keep it to {MAX_TITLE_CHARS} characters.",
                )
            )
        for message in provenance_problems(topic, metadata, rules):
            problems.append(Problem(path, _provenance_line(text, message, line), message))
        for example in examples:
            if not example.lstrip().startswith("- "):
                problems.append(
                    Problem(
                        path,
                        _line_of(text, example),
                        "an example must start with '- ' (dash and space).",
                    )
                )
    responses = (data.get("responses") or {}).get(answer)
    if not responses:
        problems.append(
            Problem(
                path,
                1,
                f"no answer. Add 'responses:' with '{answer}:' and "
                "'- text: |-' followed by the answer.",
            )
        )
    for response in responses or []:
        body = str((response or {}).get("text") or "")
        where = _line_of(text, answer)
        if SCAFFOLD_MARKER in body:
            problems.append(
                Problem(
                    path,
                    where,
                    f"the answer still has the "
                    f"{SCAFFOLD_MARKER} lines of `make new-topic`; write the "
                    "answer in their place.",
                )
            )
            continue
        if len(body) > MAX_ANSWER_CHARS:
            problems.append(
                Problem(
                    path,
                    where,
                    f"the answer has {len(body)} "
                    f"characters; keep it to {MAX_ANSWER_CHARS} so it reads "
                    "well on a phone.",
                )
            )
        problems += [Problem(path, where, f"the answer: {m}") for m in shown_problems(body, rules)]
        if topic in rules.status_sensitive:
            problems += [Problem(path, where, m) for m in protection_problems(body, rules)]
    return problems


def _provenance_line(text: str, message: str, default: int) -> int:
    """The line of the source or field a provenance problem is about."""
    quoted = re.search(r"'([^']+)'", message)
    if quoted and quoted.group(1) in text:
        return _line_of(text, quoted.group(1))
    field = next((f for f in PROVENANCE_FIELDS if message.startswith(f)), None)
    return _line_of(text, f"{field}:") if field else default


# --- domain.yml and the phone book -------------------------------------------------------


def check_domain(path: Path, rules: Rules) -> list[Problem]:
    """The line's own responses show only numbers and addresses of the phone book."""
    text, data, problems = _load(path)
    for name, variants in ((data or {}).get("responses") or {}).items():
        for variant in variants or []:
            body = str((variant or {}).get("text") or "")
            problems += [
                Problem(path, _line_of(text, f"{name}:"), f"the response {name}: {m}")
                for m in shown_problems(body, rules)
            ]
    return problems


def _entry_problems(entry: Any, rules: Rules) -> list[str]:
    if not isinstance(entry, dict):
        return ["an entry must be a list item with name, kind, value, source and verified_on."]
    label = entry.get("id") or entry.get("name") or entry.get("value") or "?"
    problems = []
    missing = [f for f in PHONE_BOOK_FIELDS if not entry.get(f)]
    if missing:
        problems.append(
            f"the entry '{label}' has no {', '.join(missing)}. Every entry has "
            f"{', '.join(PHONE_BOOK_FIELDS)}."
        )
    if entry.get("kind") and entry["kind"] not in PHONE_BOOK_KINDS:
        problems.append(f"the entry '{label}' has kind '{entry['kind']}': write phone or web.")
    if entry.get("verified_on") and as_date(entry["verified_on"]) is None:
        problems.append(
            f"the entry '{label}' has verified_on '{entry['verified_on']}': write a date "
            "as YYYY-MM-DD."
        )
    value = str(entry.get("value") or "")
    if entry.get("kind") == "web" and value and not on_allowed_domain(value, rules.allowed_domains):
        problems.append(
            f"the entry '{label}' is the address {value}, which is not on an official domain "
            "(allowed_source_domains in contract/topics.yml)."
        )
    if entry.get("source"):
        why = source_problem(str(entry["source"]), "", rules)
        if why:
            problems.append(f"the entry '{label}': {why}")
    return problems


def check_phone_book(path: Path, rules: Rules) -> list[Problem]:
    """Every entry can be checked again: name, kind, value, an official source, a date."""
    text, data, problems = _load(path)
    if data is None:
        return problems
    entries = data.get("entries")
    if not isinstance(entries, list):
        return [Problem(path, 1, "the phone book needs 'entries:' with one item per value.")]
    for entry in entries:
        key = str(entry.get("id") or entry.get("value")) if isinstance(entry, dict) else ""
        where = _line_of(text, key) if key else 1
        problems += [Problem(path, where, m) for m in _entry_problems(entry, rules)]
    return problems


def _response_texts(paths: Iterable[Path]) -> dict[str, str]:
    """Response name -> its texts, from domain.yml and the topic files."""
    texts: dict[str, str] = {}
    for path in paths:
        _, data, _ = _load(path)
        for name, variants in ((data or {}).get("responses") or {}).items():
            texts[name] = "\n".join(str((v or {}).get("text") or "") for v in variants or [])
    return texts


def _shows(kind: str, value: str, body: str, rules: Rules) -> bool:
    """The text shows this phone number or web address."""
    if kind == "phone":
        return _digits(value) in {_digits(n) for n in numbers_in(body, rules)}
    return _address_key(value) in {_address_key(a) for a in addresses_in(body)}


def used_in_problems(path: Path, texts: dict[str, str], rules: Rules) -> list[Problem]:
    """Each entry's `used_in` names exactly the responses that show its value, so that a
    changed number is changed everywhere (docs/content.md, section 5)."""
    text, data, _ = _load(path)
    problems = []
    for entry in (data or {}).get("entries") or []:
        if not isinstance(entry, dict) or entry.get("kind") not in PHONE_BOOK_KINDS:
            continue
        value = str(entry.get("value") or "")
        shown = {name for name, body in texts.items() if _shows(entry["kind"], value, body, rules)}
        listed = set(entry.get("used_in") or [])
        where = _line_of(text, str(entry.get("id") or value))
        if shown - listed:
            problems.append(
                Problem(
                    path,
                    where,
                    f"{value} is shown by {', '.join(sorted(shown - listed))} but not listed "
                    "in its used_in: add them, so a change of this value reaches every answer.",
                )
            )
        if listed - shown:
            problems.append(
                Problem(
                    path,
                    where,
                    f"{value} is listed in used_in of {', '.join(sorted(listed - shown))}, "
                    "which no longer show it: take them out of used_in.",
                )
            )
    return problems


def check_all(root: Path = PROJECT_ROOT) -> list[Problem]:
    rules = line_rules()
    problems: list[Problem] = []
    faq_dir = settings.faq_dir
    missing = [
        (
            topic,
            "the contract lists topic "
            f"'{topic}' but this file is missing. Create it with "
            f"`make new-topic ID={topic} TITLE=...`.",
        )
        for topic in topics.faq_ids()
    ]
    missing += [
        (
            topic,
            "contract/rumours.yml lists "
            f"rumour '{topic}' but this file is missing. Create it like "
            "the other rumour_*.yml files: examples with a hearsay frame "
            "('dicen que...'), a title and the answer.",
        )
        for topic in topics.rumour_ids()
    ]
    problems += [
        Problem(faq_dir / f"{topic}.yml", 1, why)
        for topic, why in missing
        if not (faq_dir / f"{topic}.yml").exists()
    ]
    problems += check_phone_book(phone_book_file(), rules)
    problems += check_domain(root / "domain.yml", rules)
    problems += used_in_problems(
        phone_book_file(),
        _response_texts([root / "domain.yml", *sorted(faq_dir.glob("*.yml"))]),
        rules,
    )
    seen: dict[str, list[tuple[Path, int]]] = defaultdict(list)
    for path in sorted((root / "data").rglob("*.yml")):
        if path.parent == faq_dir:
            problems.extend(check_topic_file(path, rules))
        text, data, load_problems = _load(path)
        problems.extend(load_problems if path.parent != faq_dir else [])
        for block in (data or {}).get("nlu") or []:
            for example in str(block.get("examples") or "").splitlines():
                cleaned = re.sub(r"^\s*-\s*", "", example).strip()
                if cleaned:
                    seen[" ".join(cleaned.casefold().split())].append(
                        (path, _line_of(text, example))
                    )
    for places in seen.values():
        if len(places) > 1:
            (first, first_line), *others = places
            for path, line in others:
                problems.append(
                    Problem(
                        path,
                        line,
                        f"this example repeats one in "
                        f"{first.relative_to(root)}:{first_line}. Keep one, or "
                        "reword it so it teaches something new.",
                    )
                )
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
