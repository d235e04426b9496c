"""A short reading of `rasa test` results for trainers (`make test` prints it).

Rasa writes many files to results/; this prints the few figures a trainer acts
on: overall accuracy, the weakest intents and FAQ topics, and failed stories.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SUMMARY_KEYS = {"accuracy", "macro avg", "weighted avg", "micro avg"}
WEAKEST = 8


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def weakest(report: dict, limit: int = WEAKEST) -> list[tuple[str, float, int]]:
    """(label, f1, support) of the worst labels, worst first."""
    rows = [
        (label, float(row.get("f1-score", 0.0)), int(row.get("support", 0)))
        for label, row in report.items()
        if label not in SUMMARY_KEYS and isinstance(row, dict) and "support" in row
    ]
    return sorted((r for r in rows if r[1] < 1.0), key=lambda r: (r[1], -r[2]))[:limit]


def _overall(report: dict) -> str:
    accuracy = report.get("accuracy")
    weighted = (report.get("weighted avg") or {}).get("f1-score")
    if accuracy is None and weighted is None:
        return "not found"
    return f"accuracy {float(accuracy or 0):.3f}, weighted F1 {float(weighted or 0):.3f}"


def render(results: Path) -> str:
    lines = [f"Reading of rasa test results in {results}/"]
    for title, name in (
        ("Intents", "intent_report.json"),
        ("FAQ answers (ResponseSelector)", "response_selection_report.json"),
        ("Dialogue (test stories)", "story_report.json"),
    ):
        report = _read(results / name)
        lines.append(f"\n{title}: {_overall(report)}")
        for label, f1, support in weakest(report):
            lines.append(f"  weak: {label:<40} F1 {f1:.2f} ({support} examples)")
    failed = results / "failed_test_stories.yml"
    if failed.exists() and "steps" in failed.read_text(encoding="utf-8"):
        lines.append(f"\nSome test stories failed: see {failed}")
    lines.append(
        f"\nConfusions: {results}/intent_confusion_matrix.png and "
        f"{results}/response_selection_errors.json list what was mistaken for what."
    )
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    print(render(Path(argv[1] if len(argv) > 1 else "results")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
