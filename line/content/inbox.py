"""The review inbox: what the line did not answer well, for the content team to act on.

It reads what waits for review (line/feedback/review.py: handed to a person, clarified,
unresolved, rated 👎, answered unsure), newly coded from the tracker store first. The
same words are one item, with how often and why they came; items are grouped as `make
suggest` groups them (line/feedback/suggest.py), each group with its nearest topics and
how often it came each week. Texts are redacted again before they are shown or copied.

Each item leaves the inbox for good by one decision: an example of a topic (written
through the topic editor's save, line/content/workbench.py: checked, committed, logged),
a question gathered into a draft of a new topic (line/content/drafts.py), or not for the
line. The decisions stay readable afterwards (`decided`: what, which topic, who, when).
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Mapping, Optional, Sequence

from sqlalchemy.exc import SQLAlchemyError

from line.content import drafts, workbench
from line.feedback import coding, dashboard, review, suggest
from line.privacy import redact

logger = logging.getLogger(__name__)
WEEKS = 8  # how many weeks a group's trend shows
_ingesting = threading.Lock()


@dataclass(frozen=True)
class Item:
    """The same words, asked `asked` times: why they wait (`reviews`), what the line
    answered them with (`answered`: topic -> times) and when they last came."""

    key: str
    text: str  # redacted: the spelling asked most
    asked: int
    reviews: Mapping[str, int]
    answered: Mapping[str, int]
    last: date


@dataclass(frozen=True)
class Group:
    """Items of similar wording, with the nearest topics (the proposed one first when it
    is close enough) and how many came each of the last WEEKS weeks, oldest first."""

    items: tuple[Item, ...]
    asked: int
    nearest: tuple[tuple[str, float], ...]
    proposed_topic: Optional[str]
    weeks: tuple[int, ...]

    @property
    def trend(self) -> int:
        """This week's questions minus last week's."""
        return self.weeks[-1] - self.weeks[-2]


def refresh() -> bool:
    """Code what the line said since the last time, the way `make report` and /informes
    do (erasures asked for first: an erased conversation never reaches the inbox); False
    when the tracker store could not be read (the inbox shows what it has)."""
    with _ingesting:
        try:
            dashboard.refresh()
        except SQLAlchemyError as exc:
            logger.warning("the review inbox could not read the tracker store: %s", exc)
            return False
    return True


def items(rows: Optional[Sequence[review.Waiting]] = None) -> list[Item]:
    """Every item waiting for review, the most asked first."""
    rows = review.waiting() if rows is None else rows
    by_key: dict[str, list[review.Waiting]] = {}
    for row in rows:
        by_key.setdefault(review.text_key(row.text), []).append(row)
    found = [_item(key, same) for key, same in by_key.items()]
    return sorted(found, key=lambda i: (-i.asked, i.last, i.text))


@lru_cache(maxsize=20_000)
def _shown(text: str) -> str:
    """A stored text redacted again (rows coded before the line had its detector), once per
    process: the inbox is read again and again."""
    return redact(text)


def _item(key: str, rows: list[review.Waiting]) -> Item:
    spelling = Counter(row.text for row in rows).most_common(1)[0][0]
    return Item(
        key=key,
        text=_shown(spelling),
        asked=len(rows),
        reviews=dict(Counter(row.review for row in rows).most_common()),
        answered=dict(
            Counter(
                row.topic for row in rows if row.topic and row.topic != coding.UNRESOLVED
            ).most_common()
        ),
        last=max(row.date for row in rows),
    )


def item(key: str) -> Optional[Item]:
    """The item of `key`, while it waits."""
    rows = [row for row in review.waiting() if review.text_key(row.text) == key]
    return _item(key, rows) if rows else None


def groups(
    today: date,
    examples: Optional[Mapping[str, Sequence[str]]] = None,
    rows: Optional[Sequence[review.Waiting]] = None,
) -> list[Group]:
    """The items grouped by wording, largest group first."""
    rows = review.waiting() if rows is None else rows
    waiting = items(rows)
    dates: dict[str, list[date]] = {}
    for row in rows:
        dates.setdefault(review.text_key(row.text), []).append(row.date)
    by_text: dict[str, list[Item]] = {}
    for found in waiting:
        by_text.setdefault(found.text, []).append(found)
    texts = [found.text for found in waiting for _ in range(found.asked)]
    examples = suggest.topic_examples() if examples is None else examples
    result = []
    for proposal in suggest.group(texts, examples):
        members = tuple(found for text in proposal.messages for found in by_text[text])
        weeks = [0] * WEEKS
        for found in members:
            for day in dates[found.key]:
                age = (today - day).days // 7
                if 0 <= age < WEEKS:
                    weeks[WEEKS - 1 - age] += 1
        result.append(
            Group(
                items=members,
                asked=proposal.asked,
                nearest=proposal.nearest,
                proposed_topic=proposal.proposed_topic,
                weeks=tuple(weeks),
            )
        )
    return result


def decided(limit: int) -> list[review.Decided]:
    """What editors decided about items, newest first, the words redacted again."""
    return [
        replace(row, text=_shown(row.text)) if row.text else row for row in review.decisions(limit)
    ]


class Gone(LookupError):
    """The item is no longer in the inbox: someone decided about it first."""


def _waiting(key: str) -> Item:
    found = item(key)
    if found is None:
        raise Gone(key)
    return found


def add_example(
    key: str, topic: str, editor: str, example: Optional[str] = None
) -> workbench.Saved:
    """The item (or the editor's rewording of it, redacted too) as an example of `topic`,
    through the topic editor's save; workbench.Refused says why not."""
    found = _waiting(key)
    saved = workbench.add_example(topic, redact(example or found.text), editor)
    try:
        review.decide(key, review.EXAMPLE, editor, topic=topic)
    except review.AlreadyDecided:
        pass  # decided by someone else meanwhile: the example is in all the same
    return saved


def gather(key: str, editor: str, draft_id: Optional[int] = None, name: str = "") -> int:
    """The item into an open draft of a new topic, or into a new draft called `name`;
    returns the draft. LookupError when the draft is not open."""
    found = _waiting(key)
    if draft_id is None:
        draft_id = drafts.start(name, editor)
    else:
        draft = drafts.draft(draft_id)
        if draft is None or draft["topic"]:
            raise LookupError(draft_id)
    _decide(key, review.DRAFT, editor, draft_id=draft_id)
    drafts.gather(draft_id, found.text)
    return draft_id


def dismiss(key: str, editor: str) -> None:
    """Not for the line: the item leaves the inbox for good."""
    _waiting(key)
    _decide(key, review.NOT_FOR_THE_LINE, editor)


def _decide(key: str, decision: str, editor: str, **where) -> None:
    try:
        review.decide(key, decision, editor, **where)
    except review.AlreadyDecided as exc:
        raise Gone(key) from exc
