"""Keyword baseline for `make crossval`: the floor DIET must clearly beat.

Each label (a non-FAQ intent, or faq/<topic>) is represented by the folded words
of its examples; a message goes to the label whose words it shares most,
weighted by how rare each word is. Same folds as `rasa test nlu --folds`.
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter, defaultdict
from pathlib import Path

import yaml
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from line.content.topic_file import examples_of
from line.core.text import fold

ROOT = Path(__file__).resolve().parent.parent
# The NLU-format sets the model is measured on, and what each is for.
NLU_TEST_SETS = {"tests/nlu": "held out", "tests/dev/nlu": "development"}


def load_examples(data_dir: Path) -> list[tuple[str, str]]:
    """(text, intent) of every NLU example under `data_dir`, read as the content tools
    read them (line/content/topic_file.py)."""
    examples = []
    for path in sorted(data_dir.rglob("*.yml")):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            if block.get("intent"):
                for text in examples_of(str(block.get("examples") or "")):
                    examples.append((text, str(block["intent"])))
    return examples


def words(text: str) -> set[str]:
    return {w for w in fold(text).split() if len(w) > 2}


class KeywordClassifier:
    def fit(self, texts: list[str], labels: list[str]) -> "KeywordClassifier":
        self.label_words: dict[str, Counter] = defaultdict(Counter)
        document_frequency: Counter = Counter()
        for text, label in zip(texts, labels, strict=True):
            tokens = words(text)
            self.label_words[label].update(tokens)
            document_frequency.update(tokens)
        total = len(texts)
        self.idf = {w: math.log(total / n) for w, n in document_frequency.items()}
        return self

    def predict_one(self, text: str) -> str:
        tokens = words(text)

        def score(label: str) -> float:
            seen = self.label_words[label]
            size = sum(seen.values()) or 1
            return sum(self.idf.get(w, 0.0) * seen[w] / size for w in tokens)

        return max(self.label_words, key=score)


def cross_validate(examples: list[tuple[str, str]], folds: int) -> dict:
    texts = [t for t, _ in examples]
    labels = [label for _, label in examples]
    truth, predicted = [], []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=2026)
    for train, test in splitter.split(texts, labels):
        model = KeywordClassifier().fit([texts[i] for i in train], [labels[i] for i in train])
        truth += [labels[i] for i in test]
        predicted += [model.predict_one(texts[i]) for i in test]
    return {
        "accuracy": accuracy_score(truth, predicted),
        "macro_f1": f1_score(truth, predicted, average="macro"),
        "weighted_f1": f1_score(truth, predicted, average="weighted"),
    }


def held_out(train: list[tuple[str, str]], test: list[tuple[str, str]]) -> float:
    """Accuracy on the held-out test messages, the figure `make test` reports for Rasa."""
    model = KeywordClassifier().fit([t for t, _ in train], [label for _, label in train])
    return accuracy_score([label for _, label in test], [model.predict_one(t) for t, _ in test])


def diet_figures(results: Path) -> dict:
    """DIET + ResponseSelector figures from `rasa test nlu --cross-validation`."""
    figures = {}
    for name, path in (
        ("intent", "intent_report.json"),
        ("faq_answer", "response_selection_report.json"),
    ):
        try:
            report = json.loads((results / path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        figures[name] = {
            "accuracy": report.get("accuracy"),
            "weighted_f1": (report.get("weighted avg") or {}).get("f1-score"),
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--results", type=Path, default=ROOT / "results" / "crossval")
    args = parser.parse_args()
    examples = load_examples(ROOT / "data")
    baseline = cross_validate(examples, args.folds)
    print(
        f"keyword baseline ({args.folds} folds, intent incl. faq/<topic>): "
        f"accuracy {baseline['accuracy']:.3f}  macro F1 {baseline['macro_f1']:.3f}  "
        f"weighted F1 {baseline['weighted_f1']:.3f}"
    )
    for name, role in NLU_TEST_SETS.items():
        accuracy = held_out(examples, load_examples(ROOT / name))
        print(f"keyword baseline on {name} ({role}): accuracy {accuracy:.3f}")
    for name, row in diet_figures(args.results).items():
        accuracy, f1 = row["accuracy"] or 0, row["weighted_f1"] or 0
        print(f"rasa {name:<11} accuracy {accuracy:.3f}  weighted F1 {f1:.3f}")


if __name__ == "__main__":
    main()
