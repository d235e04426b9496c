"""The PII detector (line.privacy) on the labelled test set: precision and recall
per kind, overall precision, misses and false alarms, and the time per message.

A labelled span counts as found when findings of its kind cover at least half of
it; a finding is right when it covers part of a found span of its kind. The set
is for the final measure only: recognizers are tuned on
tests/line/privacy/fixtures_dev.yml and tests/privacy/pii_dev.yml (--data), never on it.

    python -m bench.pii_eval [--data FILE] [--json] [--misses]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import yaml

from line.privacy import detect
from line.privacy.pii import KINDS

DATA = Path(__file__).resolve().parent.parent / "tests" / "privacy" / "pii_labelled.yml"
TARGETS = {"TELEFONO": 0.98, "EMAIL": 0.98, "DOCUMENTO": 0.98, "CUENTA": 0.98, "NOMBRE": 0.85}
PRECISION_TARGET = 0.9

Span = Tuple[str, int, int]  # kind, start, end


def locate(text: str, spans: List[dict]) -> Tuple[List[Span], List[dict]]:
    """Offsets of each labelled span's text in the message; a text labelled twice
    takes its next occurrence. Returns the located spans and those not found."""
    located, missing, taken = [], [], {}
    for span in spans:
        start = text.find(span["text"], taken.get(span["text"], 0))
        if start < 0:
            missing.append(span)
            continue
        taken[span["text"]] = start + len(span["text"])
        located.append((span["kind"], start, start + len(span["text"])))
    return located, missing


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def score_message(gold: List[Span], found: List[Span]) -> Tuple[List[bool], List[bool]]:
    """Which labelled spans were found (covered at least half by findings of their
    kind), and which findings are right (they cover part of a found span)."""
    gold_found = []
    for kind, start, end in gold:
        covered = sum(_overlap(start, end, s, e) for k, s, e in found if k == kind)
        gold_found.append(covered * 2 >= end - start)
    right = [
        any(
            ok and k == kind and _overlap(s, e, start, end)
            for (kind, start, end), ok in zip(gold, gold_found, strict=False)
        )
        for k, s, e in found
    ]
    return gold_found, right


def evaluate(messages: List[dict]) -> Dict:
    counts = {kind: {"labelled": 0, "found": 0, "predicted": 0, "right": 0} for kind in KINDS}
    any_kind = {"labelled": 0, "covered": 0}
    misses, false_alarms, unlocated, timings, timings_300 = [], [], [], [], []
    for message in messages:
        text = message["text"]
        gold, missing = locate(text, message.get("spans") or [])
        unlocated.extend({"id": message.get("id"), **span} for span in missing)
        started = time.perf_counter()
        findings = detect(text)
        elapsed = (time.perf_counter() - started) * 1000
        timings.append(elapsed)
        if 250 <= len(text) <= 350:
            timings_300.append(elapsed)
        found = [(f.kind, f.start, f.end) for f in findings]
        gold_found, right = score_message(gold, found)
        for (kind, start, end), ok in zip(gold, gold_found, strict=False):
            counts[kind]["labelled"] += 1
            counts[kind]["found"] += ok
            any_kind["labelled"] += 1
            any_kind["covered"] += (
                sum(_overlap(start, end, s, e) for _, s, e in found) * 2 >= end - start
            )
            if not ok:
                misses.append(
                    {
                        "id": message.get("id"),
                        "kind": kind,
                        "span": text[start:end],
                        "got": [(k, text[s:e]) for k, s, e in found if _overlap(start, end, s, e)],
                    }
                )
        for (kind, start, end), ok in zip(found, right, strict=False):
            counts[kind]["predicted"] += 1
            counts[kind]["right"] += ok
            if not ok:
                false_alarms.append(
                    {"id": message.get("id"), "kind": kind, "span": text[start:end]}
                )
    per_kind = {}
    for kind, c in counts.items():
        per_kind[kind] = {
            **c,
            "recall": c["found"] / c["labelled"] if c["labelled"] else None,
            "precision": c["right"] / c["predicted"] if c["predicted"] else None,
            "target_recall": TARGETS.get(kind),
        }
    predicted = sum(c["predicted"] for c in counts.values())
    labelled = sum(c["labelled"] for c in counts.values())
    return {
        "messages": len(messages),
        "per_kind": per_kind,
        "overall": {
            "precision": sum(c["right"] for c in counts.values()) / predicted
            if predicted
            else None,
            "recall": sum(c["found"] for c in counts.values()) / labelled if labelled else None,
            "recall_any_kind": any_kind["covered"] / any_kind["labelled"]
            if any_kind["labelled"]
            else None,
            "target_precision": PRECISION_TARGET,
        },
        "speed_ms": {
            "mean": statistics.mean(timings) if timings else None,
            "p95": sorted(timings)[int(0.95 * (len(timings) - 1))] if timings else None,
            "max": max(timings, default=None),
            "mean_250_350_chars": statistics.mean(timings_300) if timings_300 else None,
            "messages_250_350_chars": len(timings_300),
        },
        "misses": misses,
        "false_alarms": false_alarms,
        "unlocated_spans": unlocated,
    }


def _fmt(value: Optional[float]) -> str:
    return "  -  " if value is None else f"{value:.3f}"


def table(result: Dict) -> str:
    lines = [
        f"{result['messages']} messages",
        f"{'kind':<10} {'labelled':>8} {'found':>6} {'recall':>7} {'target':>7} "
        f"{'predicted':>9} {'right':>6} {'precision':>9}",
    ]
    for kind, r in result["per_kind"].items():
        target = r["target_recall"]
        mark = (
            ""
            if target is None or r["recall"] is None
            else (" ok" if r["recall"] >= target else " LOW")
        )
        lines.append(
            f"{kind:<10} {r['labelled']:>8} {r['found']:>6} {_fmt(r['recall']):>7} "
            f"{_fmt(target):>7} {r['predicted']:>9} {r['right']:>6} {_fmt(r['precision']):>9}{mark}"
        )
    overall = result["overall"]
    mark = " ok" if (overall["precision"] or 0) >= PRECISION_TARGET else " LOW"
    lines.append(
        f"overall precision {_fmt(overall['precision'])} (target {PRECISION_TARGET}){mark}, "
        f"recall {_fmt(overall['recall'])}, "
        f"recall whatever the kind {_fmt(overall['recall_any_kind'])}"
    )
    speed = result["speed_ms"]
    lines.append(
        f"time per message: mean {_fmt(speed['mean'])} ms, p95 {_fmt(speed['p95'])} ms, "
        f"max {_fmt(speed['max'])} ms; "
        f"250-350 characters: mean {_fmt(speed['mean_250_350_chars'])} ms "
        f"({speed['messages_250_350_chars']} messages)"
    )
    if result["unlocated_spans"]:
        lines.append(
            f"{len(result['unlocated_spans'])} labelled spans not found verbatim in their message"
        )
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--misses", action="store_true", help="list misses and false alarms")
    args = parser.parse_args(argv)
    messages = yaml.safe_load(args.data.read_text(encoding="utf-8"))["messages"]
    detect("hola, me llamo Ana")  # load spaCy before timing
    result = evaluate(messages)
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return result
    print(table(result))
    if args.misses:
        print("\nmisses:")
        for miss in result["misses"]:
            print(f"  {miss['id']} {miss['kind']:<9} {miss['span']!r}  got {miss['got']}")
        print("\nfalse alarms:")
        for alarm in result["false_alarms"]:
            print(f"  {alarm['id']} {alarm['kind']:<9} {alarm['span']!r}")
    return result


if __name__ == "__main__":
    main()
