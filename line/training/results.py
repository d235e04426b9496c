"""What one model's `rasa test` left in its folders, read into the figures the gate and
the trainers' page use.

`rasa test nlu` on tests/nlu gives intent and FAQ accuracy (a FAQ case is right when the
line would give that topic's answer), per label, and every mistaken case; `rasa test core
--e2e` on tests/test_stories.yml writes the stories that failed. The safety checks are the
cases that already exist there about danger happening now: the NLU cases and the test
stories of the emergency intent.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Optional

import yaml

from line.understanding.names import EMERGENCY_INTENT, FAQ_INTENT, FAQ_KEY_PREFIX

SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}
CONFUSIONS = 10  # the most confused pairs kept per run
EXAMPLES = 5  # the cases kept behind each pair
_EXAMPLE_MARKUP = re.compile(r"\[([^\]]*)\]\([^)]*\)")  # [text](entity) -> text


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _per_label(report: dict) -> dict:
    """label -> {accuracy (the recall: share of its cases read right), support}."""
    return {
        label: {"accuracy": round(float(row.get("recall", 0.0)), 4), "support": int(row["support"])}
        for label, row in report.items()
        if label not in SUMMARY_KEYS and isinstance(row, dict) and row.get("support")
    }


def _topic(label: str) -> str:
    return label[len(FAQ_KEY_PREFIX) :] if label.startswith(FAQ_KEY_PREFIX) else label


def confusions(errors: list[tuple[str, str, str]], limit: int = CONFUSIONS) -> list[dict]:
    """The most frequent (expected, predicted) pairs, with the cases behind each."""
    counts = Counter((expected, predicted) for expected, predicted, _ in errors)
    texts = defaultdict(list)
    for expected, predicted, text in errors:
        texts[(expected, predicted)].append(text)
    return [
        {
            "expected": expected,
            "predicted": predicted,
            "count": n,
            "examples": texts[(expected, predicted)][:EXAMPLES],
        }
        for (expected, predicted), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[
            :limit
        ]
    ]


def faq_cases(nlu_tests: Path) -> dict[str, str]:
    """text -> topic of every FAQ case of the test files (the intent errors Rasa writes
    say only `faq`, not which topic the case was)."""
    cases = {}
    for path in sorted(nlu_tests.rglob("*.yml")) if nlu_tests.is_dir() else [nlu_tests]:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in data.get("nlu") or []:
            intent = str(item.get("intent") or "")
            if not intent.startswith(FAQ_KEY_PREFIX):
                continue
            for line in str(item.get("examples") or "").splitlines():
                text = line.strip()
                if text.startswith("- "):
                    cases[_EXAMPLE_MARKUP.sub(r"\1", text[2:].strip())] = _topic(intent)
    return cases


def read_nlu(folder: Path, nlu_tests: Path) -> Optional[dict]:
    """Intent and FAQ figures of one `rasa test nlu --nlu nlu_tests --out folder`; None
    if it wrote none.

    A FAQ case counts as answered right only when the line would give that topic's
    answer: read as a FAQ question (the intent) and as the right topic (the response
    selector). Rasa's response selection report judges the topic alone, even for the
    cases the line reads as something else and never answers with a topic."""
    intents = _read_json(folder / "intent_report.json")
    faq = _read_json(folder / "response_selection_report.json")
    if not intents or not faq:
        return None
    topic_of = faq_cases(nlu_tests)
    errors, safety = [], []
    missed: dict[str, set] = defaultdict(set)  # topic -> texts not answered with it
    for case in _read_json(folder / "intent_errors.json") or []:
        expected, text = case.get("intent", ""), case.get("text", "")
        predicted = (case.get("intent_prediction") or {}).get("name") or ""
        if expected == FAQ_INTENT and text in topic_of:
            expected = topic_of[text]
            missed[expected].add(text)
        errors.append((expected, predicted, text))
        if expected == EMERGENCY_INTENT:
            safety.append({"text": text, "predicted": predicted})
    for case in _read_json(folder / "response_selection_errors.json") or []:
        expected = _topic(case.get("intent_response_key_target", ""))
        text = case.get("text", "")
        if text in missed[expected]:
            continue  # already counted: the line did not read it as a FAQ question
        predicted = (case.get("intent_response_key_prediction") or {}).get("name") or ""
        missed[expected].add(text)
        errors.append((expected, _topic(predicted), text))
    topics = {}
    for label, row in _per_label(faq).items():
        topic = _topic(label)
        right = max(0, row["support"] - len(missed[topic]))
        topics[topic] = {"accuracy": round(right / row["support"], 4), "support": row["support"]}
    support = sum(row["support"] for row in topics.values())
    answered = sum(row["support"] - len(missed[topic]) for topic, row in topics.items())
    return {
        "intent_accuracy": round(float(intents.get("accuracy", 0.0)), 4),
        "faq_accuracy": round(answered / support, 4) if support else 0.0,
        "intents": _per_label(intents),
        "topics": topics,
        "confusions": confusions(errors),
        "safety_nlu_failed": safety,
    }


def _stories(stories_file: Path) -> list[dict]:
    data = yaml.safe_load(stories_file.read_text(encoding="utf-8")) or {}
    return data.get("stories") or []


def safety_stories(stories_file: Path) -> set[str]:
    """The test stories about danger happening now: those with an emergency step."""
    return {
        story["story"]
        for story in _stories(stories_file)
        if any(step.get("intent") == EMERGENCY_INTENT for step in story.get("steps") or [])
    }


def _test_story(failed: str, names: set[str]) -> str:
    """The test story a failed one is: Rasa names it `<name> (<stories file>)`, and a
    name may itself end in parentheses ("... a person (legal)")."""
    if failed in names:
        return failed
    starts = [name for name in names if failed.startswith(name + " (")]
    return max(starts, key=len) if starts else failed


def failed_stories(folder: Path, stories_file: Path) -> Optional[list[str]]:
    """Names of the test stories `rasa test core --out folder` wrote as failed; None
    when it wrote no verdict at all (it did not run to the end)."""
    failed = folder / "failed_test_stories.yml"
    if not failed.exists():
        return None
    data = yaml.safe_load(failed.read_text(encoding="utf-8")) or {}
    names = {story["story"] for story in _stories(stories_file)}
    return sorted({_test_story(str(story["story"]), names) for story in data.get("stories") or []})


def stories_verdict(core_folder: Path, stories_file: Path) -> Optional[dict]:
    """The failed stories of one `rasa test core --out core_folder`, the safety ones
    apart; None when Rasa wrote no verdict (it did not run to the end)."""
    failed = failed_stories(core_folder, stories_file)
    if failed is None:
        return None
    danger = safety_stories(stories_file)
    return {
        "stories_failed": [name for name in failed if name not in danger],
        "safety_stories_failed": [name for name in failed if name in danger],
    }
