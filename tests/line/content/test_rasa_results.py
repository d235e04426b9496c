"""The reading of `rasa test` results names the weakest labels, worst first."""

import json

from line.content import rasa_results


def write(path, name, report):
    (path / name).write_text(json.dumps(report), encoding="utf-8")


def test_the_reading_gives_overall_figures_and_the_weakest_labels(tmp_path):
    write(
        tmp_path,
        "intent_report.json",
        {
            "greet": {"f1-score": 1.0, "support": 8},
            "faq": {"f1-score": 0.95, "support": 190},
            "inform": {"f1-score": 0.7, "support": 8},
            "accuracy": 0.93,
            "weighted avg": {"f1-score": 0.931, "support": 206},
        },
    )
    write(
        tmp_path,
        "story_report.json",
        {
            "conversation_accuracy": {"accuracy": 1.0, "correct": 51, "total": 51},
            "action_listen": {"f1-score": 1.0, "support": 120},
            "accuracy": 1.0,
            "weighted avg": {"f1-score": 1.0, "support": 200},
        },
    )
    text = rasa_results.render(tmp_path)
    assert "Intents: accuracy 0.930, weighted F1 0.931" in text
    assert text.index("inform") < text.index("faq ")
    assert "greet" not in text and "conversation_accuracy" not in text
    assert "FAQ answers (ResponseSelector): not found" in text


def test_weakest_sorts_by_f1_then_by_more_examples():
    report = {
        "a": {"f1-score": 0.5, "support": 2},
        "b": {"f1-score": 0.5, "support": 9},
        "c": {"f1-score": 0.9, "support": 1},
    }
    assert [label for label, _, _ in rasa_results.weakest(report)] == ["b", "a", "c"]
