"""Reading what `rasa test` wrote: accuracy per topic, the confused pairs with their
cases, and the safety checks (the emergency cases and stories that already exist)."""

import json
from pathlib import Path

from line.training import cli, gate, history, results, runs
from tests.line.training.readings import reading

ROOT = Path(__file__).resolve().parents[3]


def write(folder: Path, name: str, data) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(data), encoding="utf-8")


def test_the_nlu_reading_has_topics_confusions_and_missed_emergencies(tmp_path):
    write(
        tmp_path,
        "intent_report.json",
        {
            "accuracy": 0.9,
            "emergency": {"recall": 0.5, "support": 2},
            "faq": {"recall": 1.0, "support": 10},
            "weighted avg": {"recall": 0.9, "support": 12},
        },
    )
    write(
        tmp_path,
        "response_selection_report.json",
        {
            "accuracy": 0.8,
            "faq/shelter": {"recall": 0.5, "support": 4},
            "faq/covid_testing": {"recall": 1.0, "support": 6},
        },
    )
    write(
        tmp_path,
        "intent_errors.json",
        [
            {
                "text": "me estan pegando",
                "intent": "emergency",
                "intent_prediction": {"name": "greet"},
            },
            # Read as out of scope: the line never answers it with a topic, whatever the
            # response selector thought (Rasa also lists it among its errors or not).
            {"text": "albergue 1", "intent": "faq", "intent_prediction": {"name": "out_of_scope"}},
            {"text": "hay cupo", "intent": "faq", "intent_prediction": {"name": "out_of_scope"}},
        ],
    )
    write(
        tmp_path,
        "response_selection_errors.json",
        [
            {
                "text": f"albergue {n}",
                "intent_response_key_target": "faq/shelter",
                "intent_response_key_prediction": {"name": "faq/housing_eviction"},
            }
            for n in range(2)
        ],
    )
    tests = tmp_path / "nlu.yml"
    tests.write_text(
        'version: "3.1"\nnlu:\n- intent: faq/shelter\n  examples: |\n'
        + "".join(f"    - {text}\n" for text in ("albergue 0", "albergue 1", "hay cupo", "otro"))
        + "- intent: emergency\n  examples: |\n    - me estan pegando\n",
        encoding="utf-8",
    )
    read = results.read_nlu(tmp_path, tests)
    # Shelter: "albergue 0" read as another topic, "albergue 1" and "hay cupo" not as a
    # FAQ question at all; one of four right. Overall 7 of 10.
    assert (read["intent_accuracy"], read["faq_accuracy"]) == (0.9, 0.7)
    assert read["topics"] == {
        "shelter": {"accuracy": 0.25, "support": 4},
        "covid_testing": {"accuracy": 1.0, "support": 6},
    }
    assert read["confusions"][0] == {
        "expected": "shelter",
        "predicted": "out_of_scope",
        "count": 2,
        "examples": ["albergue 1", "hay cupo"],
    }
    assert {"expected": "emergency", "predicted": "greet", "count": 1} == {
        k: v for k, v in read["confusions"][1].items() if k != "examples"
    }
    assert read["confusions"][2] == {
        "expected": "shelter",
        "predicted": "housing_eviction",
        "count": 1,
        "examples": ["albergue 0"],
    }
    assert read["safety_nlu_failed"] == [{"text": "me estan pegando", "predicted": "greet"}]


def test_no_report_means_no_reading(tmp_path):
    assert results.read_nlu(tmp_path, ROOT / "tests" / "nlu") is None
    assert results.stories_verdict(tmp_path, ROOT / "tests" / "test_stories.yml") is None


def test_the_safety_stories_are_the_emergency_ones_of_the_test_stories(tmp_path):
    danger = results.safety_stories(ROOT / "tests" / "test_stories.yml")
    assert "violence now - number and priority handoff" in danger
    assert "suicidal thoughts - number and priority handoff" in danger
    assert "faq shelter" not in danger
    (tmp_path / "failed_test_stories.yml").write_text(
        'version: "3.1"\nstories:\n'
        "- story: faq shelter (./tests/test_stories.yml)\n  steps:\n  - intent: faq\n"
        "- story: violence now - number and priority handoff (./tests/test_stories.yml)\n"
        "  steps:\n  - intent: greet  # predicted: greet: me estan pegando\n"
        # A story whose own name ends in parentheses.
        "- story: no papers and the police - the answer, then a person (legal)"
        " (tests/test_stories.yml)\n  steps:\n  - intent: greet\n",
        encoding="utf-8",
    )
    verdict = results.stories_verdict(tmp_path, ROOT / "tests" / "test_stories.yml")
    assert verdict == {
        "stories_failed": [
            "faq shelter",
            "no papers and the police - the answer, then a person (legal)",
        ],
        "safety_stories_failed": ["violence now - number and priority handoff"],
    }
    (tmp_path / "failed_test_stories.yml").write_text(
        "# None of the test stories failed - all good!", encoding="utf-8"
    )
    assert results.stories_verdict(tmp_path, ROOT / "tests" / "test_stories.yml") == {
        "stories_failed": [],
        "safety_stories_failed": [],
    }


def run(run_id, faq, kind=runs.TEST):
    from datetime import datetime

    return {
        "id": run_id,
        "kind": kind,
        "status": runs.PASSED,
        "requested_by": "tito",
        "started_at": datetime(2026, 12, run_id, 10),
        "reasons": [],
        "error": None,
        "results": {"before": reading(faq=0.9), "after": reading(faq=faq)},
    }


def test_the_chart_has_a_point_per_tested_run_on_a_scale_to_one():
    past = [run(3, 0.95), {**run(2, 0.5, runs.ROLLBACK), "results": {}}, run(1, 0.75)]
    chart = history.chart(past)
    faq = [p for p in chart.points if p[0] == "faq_accuracy"]
    assert [(p[3], p[4]) for p in faq] == [(0.75, 1), (0.95, 3)]  # oldest first
    assert faq[0][2] > faq[1][2]  # lower accuracy, lower on the chart (larger y)
    assert chart.y_ticks[0][1] == 0.7 and chart.y_ticks[-1][1] == 1.0
    assert history.chart([]).lines == {}


def test_the_history_as_text_names_refusals_topics_and_confusions():
    refused = {
        **run(2, 0.7),
        "status": runs.REFUSED,
        "reasons": [{"code": "faq_drop", "before": 0.9, "after": 0.7, "topics": []}],
    }
    text = cli.history_text([refused, run(1, 0.9)])
    assert "run 2 test by tito" in text and "refused: FAQ accuracy fell" in text
    assert "90.0% -> 70.0%" in text
    assert "shelter -> housing_eviction: 2" in text and "me puedo quedar en el albergue" in text


def test_the_terminal_words_each_reason_with_what_to_look_at():
    drop = {
        "code": gate.FAQ_DROP,
        "before": 0.9,
        "after": 0.8,
        "topics": [{"topic": "shelter", "before": 1.0, "after": 0.5}],
    }
    assert cli.reason_text(drop) == (
        "FAQ accuracy fell by more than one point: 90.0% -> 80.0%; fell most: shelter 100% -> 50%"
    )
    safety = {
        "code": gate.SAFETY_FAILED,
        "stories": ["violence now"],
        "cases": [{"text": "me estan pegando", "predicted": "greet"}],
    }
    assert cli.reason_text(safety) == (
        "a safety check (emergency) failed: stories: violence now; "
        "cases: 'me estan pegando' read as greet"
    )
    stories = {"code": gate.STORIES_FAILED, "stories": ["faq shelter", "greet"]}
    assert cli.reason_text(stories) == "test stories failed: faq shelter, greet"
