"""The line's content catalogue: contract ids, rumour ids and FAQ topic titles.

Titles live in each topic file (`metadata.title` of its `faq/<id>` intent), so a
content team edits one place; the actions read them for "¿Quisiste decir…?".
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Dict

import yaml

from line.settings import settings

FAQ_PREFIX = "faq/"


@lru_cache(maxsize=None)
def contract(path: Path = settings.topics_file) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def faq_ids() -> list[str]:
    return [topic["id"] for topic in contract()["faq"]]


@lru_cache(maxsize=None)
def rumours(path: Path = settings.rumours_file) -> dict:
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def rumour_ids(path: Path = settings.rumours_file) -> list[str]:
    """Rumour topics: FAQ topics too (faq/<id>), kept apart so reports can code them."""
    return [rumour["id"] for rumour in rumours(path)["rumours"]]


def plain_question_topics(path: Path = settings.rumours_file) -> Dict[str, list]:
    """Rumour id -> the contract topics that answer the same question asked plainly."""
    return {rumour["id"]: list(rumour["plain_question"]) for rumour in rumours(path)["rumours"]
            if rumour.get("plain_question")}


def answered_topic_ids() -> list[str]:
    """Every topic the line answers with a topic file: the contract's, then the rumours."""
    return faq_ids() + rumour_ids()


def category_ids() -> list[str]:
    return [category["id"] for category in contract()["service_categories"]]


def emergency_numbers() -> Dict[str, str]:
    return dict(contract()["emergency_numbers"])


@lru_cache(maxsize=None)
def faq_titles(faq_dir: Path = settings.faq_dir) -> Dict[str, str]:
    """Topic id -> short Spanish title, read from the topic files."""
    titles: Dict[str, str] = {}
    for path in sorted(faq_dir.glob("*.yml")):
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        for block in data.get("nlu") or []:
            intent = str(block.get("intent", ""))
            title = (block.get("metadata") or {}).get("title")
            if intent.startswith(FAQ_PREFIX) and title:
                titles[intent[len(FAQ_PREFIX):]] = str(title)
    return titles


@lru_cache(maxsize=None)
def faq_answers(faq_dir: Path = settings.faq_dir) -> tuple[dict, ...]:
    """Each topic's answer text with its title, for the operators' quick replies."""
    titles = faq_titles(faq_dir)
    answers = []
    for path in sorted(faq_dir.glob("*.yml")):
        with open(path, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        for name, variants in (data.get("responses") or {}).items():
            topic = str(name).split("/", 1)[1] if str(name).startswith("utter_faq/") else None
            text = ((variants or [{}])[0] or {}).get("text")
            if topic and text:
                answers.append({"id": topic, "title": titles.get(topic, topic), "text": text})
    return tuple(sorted(answers, key=lambda a: a["title"].lower()))
