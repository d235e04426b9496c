"""Checks the content files and explains each problem in plain words.

`rasa data validate` speaks to programmers; this speaks to the content team:
which file, which line, and what to do. Run it with `make validate`.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from line.core import topics
from line.core.settings import PROJECT_ROOT, settings
from line.understanding import names

MIN_EXAMPLES = 15
MAX_ANSWER_CHARS = 1000
MAX_TITLE_CHARS = 20  # WhatsApp reply-button limit
# What `make new-topic` leaves where the content team still has to write.
SCAFFOLD_MARKER = "TODO"


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


def check_topic_file(path: Path) -> list[Problem]:
    """One FAQ topic file: its examples, title and answer."""
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
        title = str((block.get("metadata") or {}).get("title") or "")
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
        if SCAFFOLD_MARKER in body:
            problems.append(
                Problem(
                    path,
                    _line_of(text, answer),
                    f"the answer still has the "
                    f"{SCAFFOLD_MARKER} lines of `make new-topic`; write the "
                    "answer in their place.",
                )
            )
        if len(body) > MAX_ANSWER_CHARS:
            problems.append(
                Problem(
                    path,
                    _line_of(text, answer),
                    f"the answer has {len(body)} "
                    f"characters; keep it under {MAX_ANSWER_CHARS} so it reads "
                    "well on a phone.",
                )
            )
    return problems


def check_all(root: Path = PROJECT_ROOT) -> list[Problem]:
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
    seen: dict[str, list[tuple[Path, int]]] = defaultdict(list)
    for path in sorted((root / "data").rglob("*.yml")):
        if path.parent == faq_dir:
            problems.extend(check_topic_file(path))
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
    print("Content looks good: every topic has its examples, title and answer.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
