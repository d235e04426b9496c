"""Cross-validation of the line's own learned reader (line/understanding/router.py) on the
training data, beside the lexicons alone and the keyword baseline.

For each fold the router is trained on the rest and reads the held-out examples; the
figures are those its thresholds in config.yml act on: danger (recall and false alarms,
and the kind named), personal cases and complaints, questions with no topic. The lexicon
floor (line/understanding/lexicon/) and the keyword baseline (bench/tfidf_baseline.py, the
same features forced to one label) read the same examples. `make crossval` prints it.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import yaml
from sklearn.model_selection import StratifiedKFold

from bench.tfidf_baseline import pipeline as baseline_pipeline
from line.understanding import cues, names, safety
from line.understanding.router import IntentRouter, label_of

ROOT = Path(__file__).resolve().parent.parent
PERSON_LABELS = {names.PERSONAL_CASE_INTENT, names.COMPLAINT_INTENT}


def training_examples() -> tuple[list[str], list[str]]:
    """Every training example and its router label, read as Rasa reads data/."""
    from rasa.shared.nlu.training_data.loading import load_data
    from rasa.shared.nlu.training_data.training_data import TrainingData

    files = sorted((ROOT / "data").rglob("*.yml"))
    nlu = [load_data(str(f)) for f in files if "nlu:" in f.read_text(encoding="utf-8")]
    texts, labels = [], []
    for example in TrainingData().merge(*nlu).intent_examples:
        kind = ((example.get("metadata") or {}).get("intent") or {}).get("kind")
        topic = names.topic_of_key(example.get("intent_response_key") or "") or None
        texts.append(example.get("text"))
        labels.append(label_of(example.get("intent"), topic, kind))
    return texts, labels


def thresholds() -> dict:
    """The LineRouter's and Understanding's settings in config.yml, together."""
    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    ours = (".LineRouter", ".Understanding")
    return {k: v for c in config["pipeline"] if c["name"].endswith(ours) for k, v in c.items()}


def rates(fired: np.ndarray, truth: np.ndarray) -> str:
    recall = fired[truth].mean() if truth.any() else 0.0
    false = fired[~truth].mean() if (~truth).any() else 0.0
    precision = truth[fired].mean() if fired.any() else 0.0
    return (
        f"recall {recall:.3f} ({fired[truth].sum()}/{truth.sum()})  "
        f"precision {precision:.3f}  "
        f"false alarms {false:.2%} ({fired[~truth].sum()}/{(~truth).sum()})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    texts, labels = training_examples()
    texts_a, labels_a = np.array(texts, dtype=object), np.array(labels, dtype=object)
    limits = thresholds()
    danger = np.zeros(len(texts))
    kind = np.empty(len(texts), dtype=object)
    person = np.zeros(len(texts))
    no_topic = np.zeros(len(texts))
    baseline = np.empty(len(texts), dtype=object)
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=2026)
    for train, test in folds.split(texts_a, labels_a):
        router = IntentRouter(limits["regularisation"]).fit(texts_a[train], labels_a[train])
        for i in test:
            reading = router.read(texts[i])
            danger[i], kind[i] = reading.danger, reading.danger_kind
            person[i] = sum(reading.intents.get(x, 0.0) for x in PERSON_LABELS)
            no_topic[i] = reading.intents.get(names.OUT_OF_SCOPE_INTENT, 0.0)
        baseline[test] = (
            baseline_pipeline().fit(texts_a[train], labels_a[train]).predict(texts_a[test])
        )

    is_danger = np.array([label.startswith("emergency:") for label in labels])
    is_person = np.isin(labels_a, list(PERSON_LABELS))
    is_no_topic = labels_a == names.OUT_OF_SCOPE_INTENT
    lexicon_danger = np.array([safety.detect(t) is not None for t in texts])
    lexicon_person = np.array([cues.is_personal_case(t) for t in texts])
    lexicon_no_topic = np.array([cues.asks_about_another_country(t) for t in texts])
    base = np.array([str(b) for b in baseline])

    print(f"{len(texts)} training examples, {args.folds}-fold cross-validation")
    print(f"danger now ({is_danger.sum()} examples)")
    print(f"  lexicon alone           {rates(lexicon_danger, is_danger)}")
    print(f"  keyword baseline        {rates(np.char.startswith(base, 'emergency:'), is_danger)}")
    print(
        f"  router >= {limits['danger']:<4}         {rates(danger >= limits['danger'], is_danger)}"
    )
    either = (danger >= limits["danger"]) | lexicon_danger
    print(f"  router or lexicon       {rates(either, is_danger)}")
    named = [label.split(":", 1)[1] for label in labels_a[is_danger]]
    right = np.mean([k == n for k, n in zip(kind[is_danger], named, strict=True)])
    print(f"  kind named right        {right:.3f}")
    print(f"personal case or complaint ({is_person.sum()} examples)")
    print(f"  lexicon alone           {rates(lexicon_person, is_person)}")
    print(f"  keyword baseline        {rates(np.isin(base, list(PERSON_LABELS)), is_person)}")
    fired = (person >= limits["personal_case"]) | lexicon_person
    print(f"  router >= {limits['personal_case']:<4} or lexicon {rates(fired, is_person)}")
    print(f"no topic ({is_no_topic.sum()} examples)")
    print(f"  lexicon alone           {rates(lexicon_no_topic, is_no_topic)}")
    print(f"  keyword baseline        {rates(base == names.OUT_OF_SCOPE_INTENT, is_no_topic)}")
    fired = (no_topic >= limits["no_topic"]) | lexicon_no_topic
    print(f"  router >= {limits['no_topic']:<4} or lexicon {rates(fired, is_no_topic)}")


if __name__ == "__main__":
    main()
