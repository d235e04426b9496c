"""How well the line understands people, measured on a case file against a running line.

`make eval-dev` (tune here) and `make eval-frozen` (never tuned on) play every case of
tests/dev/ or tests/frozen/ as a new conversation over the REST channel, read it back
from the tracker, and report the figures of issue #12: emergency recall, handoff recall
for personal cases and for questions without a topic, other topics' answers given to
those, service searches with the right category and region, FAQ right and wrong
answers, and emergency wording where there was no emergency. The keyword baseline
(TF-IDF words and characters, logistic regression, trained on data/) gets the same
cases beside it, so every figure has its floor.

Case files use the shared evaluation's format (../shared/eval/evaluate.py) with two
more fields per case: `group` (emergency, urgent, not_now, personal, no_topic, place,
faq, language, language_es) and, for emergencies, `danger` (the kind).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import math
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import requests
import yaml

from bench.tfidf_baseline import TfidfBaseline
from line.core import access

ROOT = Path(__file__).resolve().parent.parent
FAQ_PREFIX = "utter_faq/"
EMERGENCY_PREFIX = "utter_emergency_"
HANDOFF = "action_handoff"
SEARCH = "action_find_services"
DANGER_GROUPS = {"emergency"}
QUIET_GROUPS = {
    "urgent",
    "not_now",
    "personal",
    "no_topic",
    "place",
    "faq",
    "language",
    "language_es",
}


def fold(text: Any) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", "" if text is None else str(text))
    return " ".join(
        "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().split()
    )


@dataclass
class Case:
    id: str
    group: str
    turns: list[str]
    expect: dict
    danger: Optional[str] = None
    language: Optional[str] = None


def load_cases(path: Path) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = []
    for item in data["cases"]:
        turns = item["turns"] if isinstance(item["turns"], list) else [item["turns"]]
        cases.append(
            Case(
                str(item["id"]),
                str(item.get("group") or "faq"),
                [str(t) for t in turns],
                dict(item["expect"]),
                item.get("danger"),
                item.get("language"),
            )
        )
    return cases


@dataclass
class Outcome:
    """What the line did in one conversation, read from its tracker."""

    handoff: bool = False
    searched: bool = False
    emergency_wording: bool = False
    danger_kinds: list[str] = field(default_factory=list)
    faq_last: list[str] = field(default_factory=list)
    faq_all: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    slots: dict = field(default_factory=dict)
    languages: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    error: Optional[str] = None


def read_tracker(tracker: dict, outcome: Outcome) -> Outcome:
    events = tracker.get("events") or []
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    for i, event in enumerate(events):
        kind = event.get("event")
        if kind == "action":
            outcome.handoff |= event.get("name") == HANDOFF
            outcome.searched |= event.get("name") == SEARCH
        elif kind == "bot":
            utter = (event.get("metadata") or {}).get("utter_action") or ""
            if utter.startswith(FAQ_PREFIX):
                topic = utter[len(FAQ_PREFIX) :]
                outcome.faq_all.append(topic)
                if i > last_user:
                    outcome.faq_last.append(topic)
            outcome.emergency_wording |= utter.startswith(EMERGENCY_PREFIX)
            if event.get("text"):
                outcome.texts.append(event["text"])
        elif kind == "user":
            parse = event.get("parse_data") or {}
            outcome.intents.append((parse.get("intent") or {}).get("name") or "")
            if parse.get("danger"):
                outcome.danger_kinds.append(parse["danger"])
            if parse.get("language"):
                outcome.languages.append(parse["language"])
    outcome.slots = {k: (tracker.get("slots") or {}).get(k) for k in ("service_category", "region")}
    return outcome


class Line:
    """The running line's REST channel and tracker API."""

    def __init__(self, url: str, token: Optional[str], timeout: float) -> None:
        self.url, self.timeout = url.rstrip("/"), timeout
        self.auth = {"token": token} if token else {}

    def play(self, case: Case) -> Outcome:
        sender = f"eval-{uuid.uuid4().hex[:12]}"
        outcome = Outcome()
        session = requests.Session()
        try:
            for text in case.turns:
                start = time.perf_counter()
                response = session.post(
                    f"{self.url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": text},
                    timeout=self.timeout,
                )
                outcome.latencies_ms.append((time.perf_counter() - start) * 1000)
                response.raise_for_status()
            tracker = session.get(
                f"{self.url}/conversations/{sender}/tracker",
                params={"include_events": "ALL", **self.auth},
                timeout=self.timeout,
            )
            tracker.raise_for_status()
            return read_tracker(tracker.json(), outcome)
        except (requests.RequestException, ValueError) as error:
            outcome.error = f"{type(error).__name__}: {error}"
            return outcome


def says_any(case: Case, texts: list[str]) -> bool:
    wanted = [fold(s) for s in case.expect.get("says_any") or []]
    return not wanted or any(w in fold(t) for w in wanted for t in texts)


def right_search(case: Case, outcome: Outcome) -> bool:
    return (
        outcome.searched
        and fold(outcome.slots.get("service_category")) == fold(case.expect.get("service"))
        and fold(outcome.slots.get("region")) == fold(case.expect.get("region"))
    )


def ratio(hits: int, total: int) -> str:
    return f"{hits / total:.2f} ({hits}/{total})" if total else "—"


def figures(cases: list[Case], outcomes: dict[str, Any]) -> dict[str, str]:
    """The issue's table: one value per measure, from the outcomes of one system."""
    by_group: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_group[case.group].append(case)

    def count(group: str, test) -> tuple[int, int]:
        members = [c for c in by_group.get(group, []) if outcomes[c.id] is not None]
        return sum(1 for c in members if test(c, outcomes[c.id])), len(members)

    emergency = count(
        "emergency", lambda c, o: o.handoff and o.emergency_wording and says_any(c, o.texts)
    )
    kind_right = count("emergency", lambda c, o: c.danger in o.danger_kinds)
    personal = count("personal", lambda c, o: o.handoff)
    no_topic = count("no_topic", lambda c, o: o.handoff)
    other_topic = count("no_topic", lambda c, o: bool(o.faq_all))
    place = count("place", lambda c, o: right_search(c, o))
    urgent = count(
        "urgent",
        lambda c, o: (
            right_search(c, o) if "service" in c.expect else c.expect.get("faq") in o.faq_last
        ),
    )
    faq_right = count("faq", lambda c, o: c.expect["faq"] in o.faq_last)
    faq_wrong = count("faq", lambda c, o: bool(o.faq_last) and c.expect["faq"] not in o.faq_last)
    language = count("language", lambda c, o: o.handoff and c.language in o.languages)
    language_es = count("language_es", lambda c, o: not o.languages)
    quiet = [c for c in cases if c.group in QUIET_GROUPS and outcomes[c.id] is not None]
    false_alarms = sum(1 for c in quiet if outcomes[c.id].emergency_wording)
    return {
        "emergency recall (number given and priority handoff)": ratio(*emergency),
        "emergency kind right": ratio(*kind_right),
        "handoff recall: personal cases": ratio(*personal),
        "handoff recall: questions the line has no topic for": ratio(*no_topic),
        "answers from another topic given to those questions": f"{other_topic[0]}",
        "service search (category and region right)": ratio(*place),
        "urgent needs answered right (search or FAQ)": ratio(*urgent),
        "FAQ right answer": ratio(*faq_right),
        "FAQ wrong answer": ratio(*faq_wrong),
        "other language recognised, person offered": ratio(*language),
        "Spanish with English words kept Spanish": ratio(*language_es),
        "emergency wording where there was no emergency": f"{false_alarms} of {len(quiet)}"
        + (f" ({false_alarms / len(quiet):.1%})" if quiet else ""),
    }


def confusion(cases: list[Case], outcomes: dict[str, Outcome]) -> dict:
    """Emergencies by kind: which kind the line named, or what it did instead."""
    table: dict[str, Counter] = defaultdict(Counter)
    for case in cases:
        if case.group != "emergency":
            continue
        outcome = outcomes[case.id]
        if outcome.emergency_wording and outcome.danger_kinds:
            table[case.danger][outcome.danger_kinds[-1]] += 1
        elif outcome.handoff:
            table[case.danger]["handoff without emergency"] += 1
        elif outcome.faq_all:
            table[case.danger]["FAQ answer"] += 1
        elif outcome.searched:
            table[case.danger]["service search"] += 1
        else:
            table[case.danger]["clarification or other"] += 1
    return {kind: dict(row) for kind, row in sorted(table.items())}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)] if ordered else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "cases", type=Path, nargs="+", help="one or more case files, read as one set"
    )
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument(
        "--token",
        default=None,
        help="the Rasa HTTP API's token (default: RASA_TOKEN, or make run's var/rasa-token)",
    )
    parser.add_argument("--timeout", type=float, default=30)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()

    cases = [case for path in args.cases for case in load_cases(path)]
    name = " + ".join(str(path) for path in args.cases)
    line = Line(args.url, args.token or access.rasa_token(), args.timeout)
    with concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool:
        outcomes = dict(zip([c.id for c in cases], pool.map(line.play, cases), strict=False))
    errors = [cid for cid, o in outcomes.items() if o.error]
    if len(errors) == len(cases):
        print(
            f"The line at {args.url} did not answer ({outcomes[errors[0]].error}).", file=sys.stderr
        )
        return 2

    ours = figures(cases, {cid: (None if o.error else o) for cid, o in outcomes.items()})
    baseline = {}
    if not args.no_baseline:
        model = TfidfBaseline.trained_on(ROOT / "data")
        baseline = figures(cases, {c.id: model.play(c.turns, Outcome()) for c in cases})
    width = max(len(k) for k in ours)
    print(f"{name} ({len(cases)} cases, {len(errors)} errors)")
    print(f"{'measure':<{width}}  {'line':<18}  keyword baseline")
    for key, value in ours.items():
        print(f"{key:<{width}}  {value:<18}  {baseline.get(key, '')}")
    latencies = [ms for o in outcomes.values() for ms in o.latencies_ms]
    print(f"turn p95 {percentile(latencies, 0.95):.0f} ms over {len(latencies)} turns")
    kinds = confusion(cases, outcomes)
    print("emergencies by kind (what the line named, or did instead):")
    for kind, row in kinds.items():
        print(
            f"  {kind:<12} "
            + ", ".join(f"{k} {n}" for k, n in sorted(row.items(), key=lambda x: -x[1]))
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "cases": str(args.cases),
                    "line": ours,
                    "baseline": baseline,
                    "emergency_confusion": kinds,
                    "outcomes": {
                        cid: {
                            "group": c.group,
                            "turns": c.turns,
                            "expect": c.expect,
                            "danger": c.danger,
                            "handoff": o.handoff,
                            "searched": o.searched,
                            "slots": o.slots,
                            "emergency_wording": o.emergency_wording,
                            "danger_kinds": o.danger_kinds,
                            "faq": o.faq_all,
                            "intents": o.intents,
                            "languages": o.languages,
                            "error": o.error,
                        }
                        for c in cases
                        for cid, o in [(c.id, outcomes[c.id])]
                    },
                },
                ensure_ascii=False,
                indent=1,
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
