"""One FAQ topic file as the console edits it, read and written in the house layout.

Every file of data/faq/ has the same shape (docs/conventions.md, "FAQ topic file
format"): the intent with its metadata (title and provenance) and examples, then the
answer. `render` writes exactly that shape, so a file saved from the console reads like
one written by hand and its diff shows only what changed; `parse(render(t)) == t` for
every topic (tests/line/content/test_topic_file.py holds every file of the line to it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from line.understanding import names

PROVENANCE = ("sources", "verified_on", "verified_by", "review_by")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class Unreadable(ValueError):
    """The text is not a topic file the console can edit (not YAML, or no such intent)."""


@dataclass(frozen=True)
class Topic:
    """What a topic file says: dates as written (YYYY-MM-DD when valid), examples one
    per line without their dash."""

    id: str
    title: str
    examples: tuple[str, ...]
    answer: str
    sources: tuple[str, ...]
    verified_on: str
    verified_by: str
    review_by: str

    @classmethod
    def blank(cls, topic_id: str) -> "Topic":
        """A topic with nothing written yet (what a new topic is changed from)."""
        return cls(topic_id, "", (), "", (), "", "", "")


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(value)


def parse(topic_id: str, text: str) -> Topic:
    """The topic `topic_id` of a topic file's text."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise Unreadable(str(exc)) from exc
    intent = names.faq_key(topic_id)
    block = next((b for b in data.get("nlu") or [] if b.get("intent") == intent), None)
    if block is None:
        raise Unreadable(f"no {intent} in the file")
    metadata = block.get("metadata") or {}
    variants = (data.get("responses") or {}).get(names.faq_response(topic_id)) or [{}]
    sources = metadata.get("sources") or []
    return Topic(
        id=topic_id,
        title=_text(metadata.get("title")),
        examples=examples_of(str(block.get("examples") or "")),
        answer=_text((variants[0] or {}).get("text")),
        sources=tuple(_text(s) for s in ([sources] if isinstance(sources, str) else sources)),
        verified_on=_text(metadata.get("verified_on")),
        verified_by=_text(metadata.get("verified_by")),
        review_by=_text(metadata.get("review_by")),
    )


def examples_of(text: str) -> tuple[str, ...]:
    """Examples written one per line, with or without the file's leading "- "."""
    lines = (re.sub(r"^\s*-\s+", "", line).strip() for line in text.splitlines())
    return tuple(" ".join(line.split()) for line in lines if line)


def _quoted(value: str) -> str:
    """A double-quoted YAML scalar (JSON's escapes are YAML's)."""
    return json.dumps(value, ensure_ascii=False)


def _scalar(value: str) -> str:
    """A value as the files write it: a date or a plain word bare, anything else quoted."""
    if _ISO_DATE.fullmatch(value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            return _quoted(value)
    try:
        plain = value and yaml.safe_load(f"key: {value}") == {"key": value}
    except yaml.YAMLError:
        plain = False
    return value if plain else _quoted(value)


def render(topic: Topic) -> str:
    """The topic file's text, in the house layout."""
    lines = [
        'version: "3.1"',
        "nlu:",
        f"- intent: {names.faq_key(topic.id)}",
        "  metadata:",
        f"    title: {_quoted(topic.title)}",
    ]
    if topic.sources:
        lines.append("    sources:")
        lines += [f"      - {_quoted(source)}" for source in topic.sources]
    else:
        lines.append("    sources: []")
    for name in ("verified_on", "verified_by", "review_by"):
        lines.append(f"    {name}: {_scalar(getattr(topic, name))}")
    lines.append("  examples: |")
    lines += [f"    - {example}" for example in topic.examples]
    lines += ["responses:", f"  {names.faq_response(topic.id)}:", "  - text: |-"]
    lines += [f"      {line}" if line else "" for line in answer_lines(topic.answer)]
    return "\n".join(lines) + "\n"


def answer_lines(answer: str) -> list[str]:
    """The answer's lines as stored: no spaces at either end of the answer or of a line."""
    return [line.rstrip() for line in answer.strip().replace("\r\n", "\n").split("\n")]


def normalised(topic: Topic) -> Topic:
    """The topic as it will read back once written: what `render` keeps of each field."""
    return Topic(
        id=topic.id,
        title=" ".join(topic.title.split()),
        examples=examples_of("\n".join(topic.examples)),
        answer="\n".join(answer_lines(topic.answer)),
        sources=tuple(s.strip() for s in topic.sources if s.strip()),
        verified_on=topic.verified_on.strip(),
        verified_by=" ".join(topic.verified_by.split()),
        review_by=topic.review_by.strip(),
    )


def changes(before: Topic, after: Topic) -> dict:
    """What changed from one version to the next, for the commit message and the log."""
    added = [e for e in after.examples if e not in set(before.examples)]
    removed = [e for e in before.examples if e not in set(after.examples)]
    return {
        "title": before.title != after.title,
        "answer": before.answer != after.answer,
        "examples_added": len(added),
        "examples_removed": len(removed),
        "provenance": [n for n in PROVENANCE if getattr(before, n) != getattr(after, n)],
    }
