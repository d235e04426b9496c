"""`make new-topic ID=... TITLE=...`: a new FAQ topic file and its contract entry.

The file follows docs/conventions.md and is deliberately incomplete (no examples,
a TODO answer), so `make validate` keeps failing until the content team has
written at least 15 examples and the answer. The console's topic editor starts a new
topic from the same scaffold (`scaffold`, `listed`), and writes it once it passes.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Optional

import yaml

from line.content.check import MAX_TITLE_CHARS, SCAFFOLD_MARKER
from line.core import settings as config
from line.core.settings import PROJECT_ROOT

TEMPLATE = Path(__file__).parent / "templates" / "new_topic.yml"
TOPIC_ID = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
COVERS_PLACEHOLDER = (
    f'"{SCAFFOLD_MARKER}: the gist the answer must give (facts, numbers, institutions)."'
)


# Why an id or title cannot be used, for the command line; the console words the same
# codes in Spanish.
WORDING = {
    "not_an_id": (
        "'{topic_id}' is not a topic id: use lowercase English snake_case, for example "
        "'school_meals'."
    ),
    "exists": "topic '{topic_id}' already exists: add examples to {path} instead.",
    "bad_title": (
        "give a short title of at most {maximum} characters, without quotes: it is shown on "
        "WhatsApp buttons."
    ),
}


class Refused(ValueError):
    """The id or title cannot be used; `code` (of WORDING) says why and what to do."""

    def __init__(self, code: str, **details):
        super().__init__(WORDING[code].format(**details))
        self.code, self.details = code, details


def _contract_ids(contract_file: Path) -> list[str]:
    with open(contract_file, encoding="utf-8") as f:
        return [topic["id"] for topic in yaml.safe_load(f)["faq"]]


def listed(contract: str, topic_id: str, covers: str = COVERS_PLACEHOLDER) -> str:
    """The contract's text with the topic at the end of its `faq:` list, comments kept;
    `covers` is written as given (a YAML scalar)."""
    lines = contract.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.rstrip() == "faq:")
    end = start + 1
    for i in range(start + 1, len(lines)):
        if lines[i].strip() and not lines[i][0].isspace():
            break  # the next top-level key or section comment
        if lines[i].lstrip().startswith(("- id:", "covers:")):
            end = i + 1
    lines[end:end] = [f"  - id: {topic_id}\n", f"    covers: {covers}\n"]
    return "".join(lines)


def refusal(topic_id: str, title: str, faq_dir: Path, contract_file: Path) -> None:
    """Refused when the id or the title cannot be used for a new topic."""
    if not TOPIC_ID.fullmatch(topic_id or ""):
        raise Refused("not_an_id", topic_id=topic_id)
    path = faq_dir / f"{topic_id}.yml"
    if path.exists() or topic_id in _contract_ids(contract_file):
        raise Refused("exists", topic_id=topic_id, path=path)
    title = " ".join((title or "").split())
    if not title or len(title) > MAX_TITLE_CHARS or '"' in title:
        raise Refused("bad_title", maximum=MAX_TITLE_CHARS)


def scaffold(topic_id: str, title: str) -> str:
    """The new topic file, with TODO where the content team still has to write."""
    title = " ".join(title.split())
    return TEMPLATE.read_text(encoding="utf-8").replace("{id}", topic_id).replace("{title}", title)


def create(
    topic_id: str, title: str, faq_dir: Optional[Path] = None, contract_file: Optional[Path] = None
) -> Path:
    """Write data/faq/<id>.yml and list the id in the contract; Refused if unusable."""
    faq_dir = faq_dir or config.settings.faq_dir
    contract_file = contract_file or config.settings.topics_file
    refusal(topic_id, title, faq_dir, contract_file)
    path = faq_dir / f"{topic_id}.yml"
    path.write_text(scaffold(topic_id, title), encoding="utf-8")
    contract_file.write_text(
        listed(contract_file.read_text(encoding="utf-8"), topic_id), encoding="utf-8"
    )
    return path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print('Say which topic: make new-topic ID=school_meals TITLE="Comedor escolar"')
        return 1
    try:
        path = create(*argv)
    except Refused as refusal:
        print(f"Not created: {refusal}")
        return 1
    shown = path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path
    print(
        f"Created {shown} and listed '{argv[0]}' in contract/topics.yml. Next:\n"
        f"  1. Write at least 15 examples and the answer in {shown}.\n"
        f"  2. Replace the `covers:` {SCAFFOLD_MARKER} in contract/topics.yml with the gist of "
        "the answer.\n"
        "  3. make validate   (fails until both are done)\n"
        "  4. make test       (trains the model with the new topic and checks it)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
