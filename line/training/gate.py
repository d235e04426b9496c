"""The gate a candidate model passes before it may serve: the reasons it is refused.

Refused when FAQ accuracy on tests/nlu falls by more than MAX_FAQ_DROP from the serving
model's, when any test story fails, or when any safety check (the emergency cases of
tests/nlu and tests/test_stories.yml) fails. Each reason is a code with its figures; the
page and the command line word them (console/templates/_training.html, cli.py).
"""

from __future__ import annotations

FAQ_DROP, STORIES_FAILED, SAFETY_FAILED = "faq_drop", "stories_failed", "safety_failed"
REASONS = (FAQ_DROP, STORIES_FAILED, SAFETY_FAILED)
MAX_FAQ_DROP = 0.01  # one point of accuracy
_EPSILON = 1e-9  # a drop of exactly one point is allowed, whatever the float rounding


def judge(before: dict, after: dict) -> list[dict]:
    """The reasons to refuse `after` (a results.read reading) against `before` (the
    serving model's); empty when it may be published."""
    reasons = []
    drop = before["faq_accuracy"] - after["faq_accuracy"]
    if drop > MAX_FAQ_DROP + _EPSILON:
        reasons.append(
            {
                "code": FAQ_DROP,
                "before": before["faq_accuracy"],
                "after": after["faq_accuracy"],
                "topics": worse_topics(before, after),
            }
        )
    if after["safety_stories_failed"] or after["safety_nlu_failed"]:
        reasons.append(
            {
                "code": SAFETY_FAILED,
                "stories": after["safety_stories_failed"],
                "cases": after["safety_nlu_failed"],
            }
        )
    if after["stories_failed"]:
        reasons.append({"code": STORIES_FAILED, "stories": after["stories_failed"]})
    return reasons


def worse_topics(before: dict, after: dict) -> list[dict]:
    """The topics whose accuracy fell, the largest fall first."""
    rows = []
    for topic, now in after["topics"].items():
        was = before["topics"].get(topic)
        if was and now["accuracy"] < was["accuracy"]:
            rows.append({"topic": topic, "before": was["accuracy"], "after": now["accuracy"]})
    return sorted(rows, key=lambda r: (r["after"] - r["before"], r["topic"]))


def table(before: dict, after: dict) -> list[dict]:
    """Before and after per FAQ topic, every topic of either model."""
    topics = sorted(set(before.get("topics", {})) | set(after.get("topics", {})))
    return [
        {
            "topic": t,
            "before": (before.get("topics", {}).get(t) or {}).get("accuracy"),
            "after": (after.get("topics", {}).get(t) or {}).get("accuracy"),
            "support": (after.get("topics", {}).get(t) or {}).get("support"),
        }
        for t in topics
    ]
