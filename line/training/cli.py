"""`make publish`, `make publish-test`, `make rollback`, `make training-history`: the
trainers' page from the terminal. The same job, gate and history as /entrenamiento."""

from __future__ import annotations

import argparse
import sys

from line.core import settings as config
from line.core.db import utc_now
from line.training import gate, job, runs

WORDS = {
    gate.FAQ_DROP: "FAQ accuracy fell by more than one point: {before:.1%} -> {after:.1%}{topics}",
    gate.SAFETY_FAILED: "a safety check (emergency) failed:{stories}{cases}",
    gate.STORIES_FAILED: "test stories failed: {stories}",
}
SHOWN_TOPICS = 5  # the topics that fell most, named with a FAQ drop


def reason_text(reason: dict) -> str:
    fields = dict(reason)
    if reason["code"] == gate.FAQ_DROP:
        fell = [f"{t['topic']} {t['before']:.0%} -> {t['after']:.0%}" for t in reason["topics"]]
        fields["topics"] = f"; fell most: {', '.join(fell[:SHOWN_TOPICS])}" if fell else ""
    elif reason["code"] == gate.SAFETY_FAILED:
        fields["stories"] = (
            f" stories: {', '.join(reason['stories'])};" if reason["stories"] else ""
        )
        cases = [f"{c['text']!r} read as {c['predicted']}" for c in reason["cases"]]
        fields["cases"] = f" cases: {', '.join(cases)}" if cases else ""
    else:
        fields["stories"] = ", ".join(reason["stories"])
    return WORDS[reason["code"]].format(**fields)


def _pct(reading: dict, key: str) -> str:
    return f"{reading[key]:.1%}" if reading and key in reading else "-"


def describe(run: dict) -> str:
    after = run["results"].get("after") or {}
    figures = (
        f"  model {run['model_id'] or '-'}"
        if run["kind"] == runs.ROLLBACK
        else f"  intents {_pct(after, 'intent_accuracy')}  FAQ {_pct(after, 'faq_accuracy')}"
    )
    lines = [
        f"run {run['id']} {run['kind']} by {run['requested_by']} at "
        f"{run['started_at']:%Y-%m-%d %H:%M} UTC: {run['status']}{figures}"
    ]
    lines += [f"  refused: {reason_text(r)}" for r in run["reasons"]]
    if run["error"]:
        lines.append(f"  error: {run['error']}")
    return "\n".join(lines)


def history_text(past: list[dict]) -> str:
    """Runs, newest first, then for the latest tested one: topics and confusions."""
    if not past:
        return "No training runs yet."
    lines = [describe(r) for r in past]
    tested = [r for r in past if r["results"].get("after")]
    if tested:
        latest = tested[0]
        results = latest["results"]
        lines.append(f"\nPer topic, run {latest['id']} (before -> after):")
        for row in gate.table(results.get("before") or {}, results["after"]):
            before = "-" if row["before"] is None else f"{row['before']:.0%}"
            after = "-" if row["after"] is None else f"{row['after']:.0%}"
            lines.append(f"  {row['topic']:<40} {before:>5} -> {after:>5}")
        lines.append("Most confused (expected -> predicted):")
        for c in results["after"]["confusions"]:
            lines.append(f"  {c['expected']} -> {c['predicted']}: {c['count']}")
            lines += [f"      {text}" for text in c["examples"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=("publish", "test", "rollback", "history"))
    parser.add_argument("--who", default="terminal")
    args = parser.parse_args(argv)
    if args.action == "history":
        print(history_text(runs.history()))
        return 0
    kind = {"publish": runs.PUBLISH, "test": runs.TEST, "rollback": runs.ROLLBACK}[args.action]
    cfg = config.settings
    try:
        started = runs.start(kind, args.who, utc_now(), cfg.training_lease_seconds)
    except runs.Busy as busy:
        print("Another run is under way, one at a time:", describe(busy.run) if busy.run else "")
        return 2
    try:
        job.Job(started.run["id"], echo=print).run()
    except Exception:  # noqa: BLE001 - the run's row says what failed
        pass
    run = runs.get(started.run["id"])
    print(describe(run))
    return 0 if run["status"] in (runs.PASSED, runs.PUBLISHED, runs.ROLLED_BACK) else 1


if __name__ == "__main__":
    sys.exit(main())
