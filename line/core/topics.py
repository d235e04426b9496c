"""The line's content catalogue: contract ids, rumour ids and FAQ topic titles.

Titles live in each topic file (`metadata.title` of its `faq/<id>` intent), so a
content team edits one place; the actions read them for "¿Quisiste decir…?".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterator

import yaml

from line.core.settings import settings
from line.understanding import names


@lru_cache(maxsize=None)
def contract(path: Path = settings.topics_file) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def faq_ids() -> list[str]:
    return [topic["id"] for topic in contract()["faq"]]


def status_sensitive_ids() -> frozenset[str]:
    """Topics whose right advice depends on the person's migration status: their answers
    follow the protection rule, are reviewed every 3 months, and a person without papers
    who asks about them is handed to a person after the answer."""
    return frozenset(topic["id"] for topic in contract()["faq"] if topic.get("status_sensitive"))


@lru_cache(maxsize=None)
def rumours(path: Path = settings.rumours_file) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def rumour_ids(path: Path = settings.rumours_file) -> list[str]:
    """Rumour topics: FAQ topics too (faq/<id>), kept apart so reports can code them."""
    return [rumour["id"] for rumour in rumours(path)["rumours"]]


def plain_question_topics(path: Path = settings.rumours_file) -> Dict[str, list]:
    """Rumour id -> the contract topics that answer the same question asked plainly."""
    return {
        rumour["id"]: list(rumour["plain_question"])
        for rumour in rumours(path)["rumours"]
        if rumour.get("plain_question")
    }


def answered_topic_ids() -> list[str]:
    """Every topic the line answers with a topic file: the contract's, then the rumours."""
    return faq_ids() + rumour_ids()


def category_ids() -> list[str]:
    return [category["id"] for category in contract()["service_categories"]]


def emergency_numbers() -> Dict[str, str]:
    return dict(contract()["emergency_numbers"])


def _topic_files(faq_dir: Path) -> list[dict]:
    """The content of every topic file, in file name order."""
    files = []
    for path in sorted(faq_dir.glob("*.yml")):
        with open(path, encoding="utf-8") as f:
            files.append(yaml.safe_load(f) or {})
    return files


def _faq_blocks(faq_dir: Path) -> Iterator[tuple[str, dict]]:
    """(topic id, its NLU block) for every `faq/<id>` intent of the topic files."""
    for data in _topic_files(faq_dir):
        for block in data.get("nlu") or []:
            intent = str(block.get("intent", ""))
            if intent.startswith(names.FAQ_KEY_PREFIX):
                yield names.topic_of_key(intent), block


@lru_cache(maxsize=None)
def faq_titles(faq_dir: Path = settings.faq_dir) -> Dict[str, str]:
    """Topic id -> short Spanish title, read from the topic files."""
    return {
        topic: str(block["metadata"]["title"])
        for topic, block in _faq_blocks(faq_dir)
        if (block.get("metadata") or {}).get("title")
    }


def faq_metadata(faq_dir: Path = settings.faq_dir) -> Dict[str, dict]:
    """Topic id -> the metadata of its `faq/<id>` intent: title and provenance (sources,
    verified_on, verified_by, review_by). Read afresh: reviews change it."""
    return {topic: dict(block.get("metadata") or {}) for topic, block in _faq_blocks(faq_dir)}


@lru_cache(maxsize=None)
def faq_examples(faq_dir: Path = settings.faq_dir) -> Dict[str, tuple[str, ...]]:
    """Topic id -> its training examples, read from the topic files."""
    examples: Dict[str, tuple[str, ...]] = {}
    for topic, block in _faq_blocks(faq_dir):
        lines = tuple(
            line.strip()[2:].strip()
            for line in str(block.get("examples") or "").splitlines()
            if line.strip().startswith("- ")
        )
        if lines:
            examples[topic] = examples.get(topic, ()) + lines
    return examples


@lru_cache(maxsize=None)
def faq_answers(faq_dir: Path = settings.faq_dir) -> tuple[dict, ...]:
    """Each topic's answer text with its title, for the operators' quick replies."""
    titles = faq_titles(faq_dir)
    answers = []
    for data in _topic_files(faq_dir):
        for name, variants in (data.get("responses") or {}).items():
            topic = names.faq_topic_of(str(name))
            text = ((variants or [{}])[0] or {}).get("text")
            if topic and text:
                answers.append({"id": topic, "title": titles.get(topic, topic), "text": text})
    return tuple(sorted(answers, key=lambda a: a["title"].lower()))
