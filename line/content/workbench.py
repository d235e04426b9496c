"""The topic editor's save path: the one way the console changes a topic file.

The files stay the single source of truth. A save, under one lock per checkout:
1. refuses when the file changed since the form was loaded (its content hash, `version`),
   so of two people saving the same topic the second loses nothing: the form keeps it;
2. renders the file in the house layout (line/content/topic_file.py), a new topic from
   the `make new-topic` scaffold with its contract entry, and keeps `used_in` of the phone
   book exact for the answer (the numbers and addresses it shows);
3. runs every check of `make validate` on the would-be files (line/content/check.py)
   before anything is written: a file with a problem is never written, and a save may not
   add a problem anywhere else (another topic's repeated example, the phone book);
4. writes the files, and in a git checkout commits exactly them with the editor as author
   and a message saying what changed (a failed commit puts the files back);
5. adds the edit to the append-only log (line/content/history.py).

Which checkout: `settings.content_root`, this one unless set (tests point it at a copy).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Iterator, Optional

import yaml

from line.content import check, history, new_topic, provenance, topic_file
from line.content.topic_file import Topic
from line.core import settings as config
from line.core import topics
from line.core.text import fold
from line.understanding import names

EDITOR, INBOX = "editor", "inbox"  # where a save comes from: the topic editor, the inbox
GIT_TIMEOUT_SECONDS = 30
# add_example reloads and tries again when another save came in between.
EXAMPLE_ATTEMPTS = 3
USED_IN_WIDTH = 96


@dataclass(frozen=True)
class Checkout:
    """Where one checkout keeps its content files."""

    root: Path

    @property
    def faq_dir(self) -> Path:
        return self.root / "data" / "faq"

    @property
    def contract(self) -> Path:
        return self.root / "contract" / "topics.yml"

    @property
    def rumours(self) -> Path:
        return self.root / "contract" / "rumours.yml"

    @property
    def phone_book(self) -> Path:
        return self.root / "contract" / "phone_book.yml"

    def topic_file(self, topic_id: str) -> Path:
        return self.faq_dir / f"{topic_id}.yml"

    def rules(self) -> check.Rules:
        """The checks' rules as the files say now (read afresh: people edit them)."""
        return check.build_rules(
            yaml.safe_load(self.contract.read_text(encoding="utf-8")),
            yaml.safe_load((self.root / "contract" / "content_rules.yml").read_text("utf-8")),
            check.phone_book_entries(self.phone_book.read_text(encoding="utf-8")),
        )


def checkout() -> Checkout:
    return Checkout(config.settings.content_root)


class Refused(Exception):
    """A save that did not happen, and why (`code`): conflict (the file changed since the
    form was loaded: `current` is what it holds now, `last` the edit that made it),
    problems (what the checks found), missing, unreadable, unchanged, known_example,
    new_topic (the id or title cannot be used: `reason`), git (the commit failed)."""

    def __init__(self, code: str, **details):
        super().__init__(code)
        self.code = code
        self.problems: list[check.Problem] = details.pop("problems", [])
        self.current: Optional[Topic] = details.pop("current", None)
        self.last: Optional[dict] = details.pop("last", None)
        self.details = details


@dataclass(frozen=True)
class Saved:
    topic: str
    version: str
    changes: dict
    commit: Optional[str]
    message: str


def version(text: Optional[str]) -> str:
    """The content hash a form carries ("" while the file does not exist)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text is not None else ""


def _read(path: Path) -> Optional[str]:
    return path.read_text(encoding="utf-8") if path.exists() else None


def load(topic_id: str, co: Optional[Checkout] = None) -> tuple[Topic, str]:
    """A topic as its file says now, with the version to save against."""
    co = co or checkout()
    text = _read(co.topic_file(topic_id)) if new_topic.TOPIC_ID.fullmatch(topic_id) else None
    if text is None:
        raise Refused("missing", topic=topic_id)
    try:
        return topic_file.parse(topic_id, text), version(text)
    except topic_file.Unreadable as exc:
        raise Refused("unreadable", topic=topic_id, reason=str(exc)) from exc


def current_version(topic_id: str, co: Optional[Checkout] = None) -> str:
    """The version of the topic's file as it is now."""
    return version(_read((co or checkout()).topic_file(topic_id)))


def after_answer(co: Optional[Checkout] = None) -> dict:
    """What WhatsApp shows around an answer, from domain.yml: the rating question after it
    with its buttons, and the "¿Quisiste decir…?" question whose buttons are titles."""
    domain = yaml.safe_load(((co or checkout()).root / "domain.yml").read_text("utf-8"))
    rating = domain["responses"][names.ASK_RATING_RESPONSE][0]
    return {
        "rating": rating["text"],
        "buttons": [button["title"] for button in rating.get("buttons") or []],
        "clarify": domain["responses"][names.CLARIFY_RESPONSE][0]["text"],
    }


def scaffolded(topic_id: str, title: str, co: Optional[Checkout] = None) -> Topic:
    """A new topic as `make new-topic` starts it (TODO where the team still writes);
    Refused(new_topic) when the id or the title cannot be used."""
    _may_create(topic_id, title, co or checkout())
    return topic_file.parse(topic_id, new_topic.scaffold(topic_id, title))


def _may_create(topic_id: str, title: str, co: Checkout) -> None:
    try:
        new_topic.refusal(topic_id, title, co.faq_dir, co.contract)
    except new_topic.Refused as exc:
        raise Refused("new_topic", reason=exc) from exc


def catalogue(today: date, co: Optional[Checkout] = None) -> list[dict]:
    """Every topic by title: its number of examples, review day and how soon it is due."""
    co = co or checkout()
    due = {row.topic: row for row in provenance.due(today, faq_dir=co.faq_dir)}
    rows = []
    for path in sorted(co.faq_dir.glob("*.yml")):
        try:
            topic = topic_file.parse(path.stem, path.read_text(encoding="utf-8"))
        except topic_file.Unreadable:
            topic = Topic.blank(path.stem)
        row = due.get(path.stem)
        rows.append(
            {
                "id": path.stem,
                "title": topic.title or path.stem,
                "examples": len(topic.examples),
                "review_by": topic.review_by,
                "days_left": row.days_left if row else None,
            }
        )
    return sorted(rows, key=lambda r: fold(r["title"]))


@contextmanager
def _locked(co: Checkout) -> Iterator[None]:
    """One save at a time per checkout, across threads and processes."""
    lock = co.root / "var" / "content-save.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def save(
    topic: Topic,
    base: str,
    editor: str,
    *,
    covers: Optional[str] = None,
    via: str = EDITOR,
    co: Optional[Checkout] = None,
) -> Saved:
    """Save `topic` over the file version `base` ("" with `covers` for a new topic, whose
    contract entry says what it covers); Refused says why not, and nothing was written."""
    co = co or checkout()
    topic = topic_file.normalised(topic)
    if not new_topic.TOPIC_ID.fullmatch(topic.id):
        raise Refused("missing", topic=topic.id)
    path = co.topic_file(topic.id)
    with _locked(co):
        current = _read(path)
        if version(current) != base:
            raise Refused("conflict", current=_parsed(topic.id, current), last=_last(topic.id))
        if current is None:
            if covers is None:
                raise Refused("missing", topic=topic.id)
            _may_create(topic.id, topic.title, co)
            before = Topic.blank(topic.id)
        else:
            before = _parsed(topic.id, current)
            if before is None:
                raise Refused("unreadable", topic=topic.id)
            if before == topic:
                raise Refused("unchanged", topic=topic.id)
        text = topic_file.render(topic)
        pending = {path: text}
        if current is None:
            contract = co.contract.read_text(encoding="utf-8")
            covers_line = json.dumps(" ".join(covers.split()), ensure_ascii=False)
            pending[co.contract] = new_topic.listed(contract, topic.id, covers_line)
        rules = co.rules()
        book = co.phone_book.read_text(encoding="utf-8")
        synced = with_used_in(book, names.faq_response(topic.id), topic.answer, rules)
        if synced != book:
            pending[co.phone_book] = synced
        problems = _blocking(co, pending, path, rules)
        if problems:
            raise Refused("problems", problems=problems)
        changes = {
            **topic_file.changes(before, topic),
            "new": current is None,
            "phone_book": co.phone_book in pending,
            "via": via,
        }
        message = describe(topic.id, changes)
        commit = _write(co, pending, editor, message)
        saved = Saved(topic.id, version(text), changes, commit, message)
        history.record(editor, topic.id, changes, saved.version, commit)
    for cached in (topics.faq_titles, topics.faq_examples, topics.faq_answers, topics.contract):
        cached.cache_clear()  # the console's titles and quick replies read the files
    return saved


def add_example(topic_id: str, example: str, editor: str, co: Optional[Checkout] = None) -> Saved:
    """One more example for a topic, through the same save as the editor (checked,
    committed, logged); a save by someone else in between is read and kept."""
    co = co or checkout()
    example = " ".join(example.split())
    for attempt in range(EXAMPLE_ATTEMPTS):
        topic, base = load(topic_id, co)
        if example.casefold() in {e.casefold() for e in topic.examples}:
            raise Refused("known_example", topic=topic_id)
        try:
            return save(
                replace(topic, examples=topic.examples + (example,)), base, editor, via=INBOX, co=co
            )
        except Refused as refused:
            if refused.code != "conflict" or attempt == EXAMPLE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def describe(topic_id: str, changes: dict) -> str:
    """The commit message: what changed, in a few words."""
    if changes["new"]:
        parts = [f"new topic, {_count(changes['examples_added'], 'example')}"]
    else:
        parts = [
            f"{_count(changes[key], 'example')} {verb}"
            for key, verb in (("examples_added", "added"), ("examples_removed", "removed"))
            if changes[key]
        ]
        parts += [f"{name} changed" for name in ("title", "answer") if changes[name]]
        if changes["provenance"]:
            parts.append(f"provenance changed ({', '.join(changes['provenance'])})")
    if changes["phone_book"]:
        parts.append("phone book used_in updated")
    via = " (from the review inbox)" if changes["via"] == INBOX else ""
    return f"{topic_id}: {', '.join(parts)}{via}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _parsed(topic_id: str, text: Optional[str]) -> Optional[Topic]:
    try:
        return topic_file.parse(topic_id, text) if text is not None else None
    except topic_file.Unreadable:
        return None


def _last(topic_id: str) -> Optional[dict]:
    found = history.edits(topic_id, limit=1)
    return found[0] if found else None


def _blocking(
    co: Checkout, pending: dict[Path, str], path: Path, rules: check.Rules
) -> list[check.Problem]:
    """What stops the save: any problem of the topic file, and any problem elsewhere
    that the save would add (one already there is not this editor's to fix)."""

    def problems(files: dict[Path, str]) -> list[check.Problem]:
        contract = yaml.safe_load(files.get(co.contract) or co.contract.read_text("utf-8"))
        rumours = yaml.safe_load(co.rumours.read_text(encoding="utf-8"))
        return check.check_files(
            check.Files(co.root, co.faq_dir, co.phone_book, files),
            rules,
            [t["id"] for t in contract["faq"]],
            [r["id"] for r in rumours["rumours"]],
        )

    after = problems(pending)
    if all(p.path == path for p in after):
        return after
    known = {(p.path, p.message) for p in problems({})}
    return [p for p in after if p.path == path or (p.path, p.message) not in known]


def _write(co: Checkout, pending: dict[Path, str], editor: str, message: str) -> Optional[str]:
    """Write the files; in a git checkout commit them and return the commit. A failed
    commit puts every file back as it was and refuses."""
    before = {path: _read(path) for path in pending}
    for path, text in pending.items():
        _replace(path, text)
    if not _in_git(co.root):
        return None
    try:
        return _commit(co.root, list(pending), editor, message)
    except (subprocess.SubprocessError, OSError) as exc:
        for path, text in before.items():
            if text is None:
                path.unlink(missing_ok=True)
            else:
                _replace(path, text)
        _git(co.root, "reset", "-q", "--", *_relative(co.root, pending), check=False)
        reason = getattr(exc, "stderr", None) or str(exc)
        raise Refused("git", reason=str(reason).strip()) from exc


def _replace(path: Path, text: str) -> None:
    """Write a whole file at once: a reader never sees half of it."""
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=GIT_TIMEOUT_SECONDS,
        check=check,
    )


def _relative(root: Path, paths) -> list[str]:
    return [str(path.relative_to(root)) for path in paths]


def _in_git(root: Path) -> bool:
    try:
        found = _git(root, "rev-parse", "--is-inside-work-tree", check=False)
    except (OSError, subprocess.SubprocessError):
        return False  # no git on this machine
    return found.returncode == 0 and found.stdout.strip() == "true"


def _commit(root: Path, paths: list[Path], editor: str, message: str) -> Optional[str]:
    """Commit exactly `paths`, authored (and committed) by the editor; None when git sees
    no change (the files already held this)."""
    names_ = _relative(root, paths)
    identity = f"{editor} <{editor}@console>"
    _git(root, "add", "--", *names_)
    if (
        _git(root, "diff", "--cached", "--quiet", "HEAD", "--", *names_, check=False).returncode
        == 0
    ):
        return None
    _git(
        root,
        "-c",
        f"user.name={editor}",
        "-c",
        f"user.email={editor}@console",
        "commit",
        "--quiet",
        f"--author={identity}",
        "-m",
        message,
        "--",
        *names_,
    )
    return _git(root, "rev-parse", "HEAD").stdout.strip()


# --- The phone book's used_in ----------------------------------------------------------


def with_used_in(book: str, response: str, answer: str, rules: check.Rules) -> str:
    """The phone book's text with `response` in the `used_in` of exactly the entries whose
    number or address `answer` shows, every other line as it was. A book in a layout this
    does not know is left alone (the check then says what to change by hand)."""
    data = yaml.safe_load(book) or {}
    entries = data.get("entries") or []
    lines = book.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if line.startswith("  - ")]
    if len(starts) != len(entries):
        return book
    wanted = {}
    for index in reversed(range(len(entries))):  # from the end: earlier lines keep their place
        entry = entries[index]
        if not isinstance(entry, dict) or entry.get("kind") not in check.PHONE_BOOK_KINDS:
            continue
        used = list(entry.get("used_in") or [])
        shown = check.shows(entry["kind"], str(entry.get("value") or ""), answer, rules)
        if shown != (response in used):
            used = used + [response] if shown else [u for u in used if u != response]
            end = starts[index + 1] if index + 1 < len(starts) else len(lines)
            lines[starts[index] : end] = _entry_with(lines[starts[index] : end], used)
        wanted[index] = used
    text = "".join(lines)
    written = (yaml.safe_load(text) or {}).get("entries") or []
    if any(list(written[i].get("used_in") or []) != used for i, used in wanted.items()):
        return book
    return text


def _entry_with(lines: list[str], used: list[str]) -> list[str]:
    """One entry's lines with its `used_in` written anew (or added at its end)."""
    start = next((i for i, line in enumerate(lines) if re.match(r"^    used_in:", line)), None)
    if start is None:
        content = [i for i, line in enumerate(lines) if re.match(r"^ {4,}\S", line)]
        start = end = content[-1] + 1
    else:
        end = next(i for i in range(start, len(lines)) if "]" in lines[i].split("#")[0]) + 1
    return lines[:start] + _used_in_lines(used) + lines[end:]


def _used_in_lines(used: list[str]) -> list[str]:
    if not used:
        return ["    used_in: []\n"]
    out, line = [], "    used_in: ["
    for n, name in enumerate(used):
        piece = name + ("]" if n == len(used) - 1 else ",")
        if len(line) + len(piece) > USED_IN_WIDTH and not line.endswith("["):
            out.append(line.rstrip() + "\n")
            line = "      "
        line += piece + " "
    return out + [line.rstrip() + "\n"]
