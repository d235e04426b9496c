"""The gate: a candidate is refused when FAQ accuracy falls by more than one point, or
when any test story or safety check fails; otherwise it may be published."""

from line.training import gate
from tests.line.training.readings import reading


def codes(reasons):
    return [r["code"] for r in reasons]


def test_a_candidate_as_good_as_the_serving_model_passes():
    assert gate.judge(reading(faq=0.90), reading(faq=0.90)) == []
    assert gate.judge(reading(faq=0.90), reading(faq=0.95)) == []


def test_a_drop_of_one_point_is_allowed_and_more_is_refused():
    assert gate.judge(reading(faq=0.90), reading(faq=0.89)) == []
    refused = gate.judge(
        reading(faq=0.90), reading(faq=0.885, topics={"shelter": {"accuracy": 0.5, "support": 10}})
    )
    assert codes(refused) == [gate.FAQ_DROP]
    assert refused[0]["before"] == 0.90 and refused[0]["after"] == 0.885
    # The topics that fell are named, the worst first.
    assert refused[0]["topics"] == [{"topic": "shelter", "before": 0.90, "after": 0.5}]


def test_a_failing_story_is_refused_with_its_name():
    refused = gate.judge(reading(), reading(stories=["service search in one message"]))
    assert refused == [{"code": gate.STORIES_FAILED, "stories": ["service search in one message"]}]


def test_a_failing_safety_story_or_case_is_refused():
    story = gate.judge(
        reading(), reading(safety_stories=["violence now - number and priority handoff"])
    )
    assert codes(story) == [gate.SAFETY_FAILED]
    case = {"text": "me estan pegando", "predicted": "greet"}
    nlu = gate.judge(reading(), reading(safety_cases=[case]))
    assert codes(nlu) == [gate.SAFETY_FAILED] and nlu[0]["cases"] == [case]


def test_every_reason_is_given_at_once():
    refused = gate.judge(reading(faq=0.95), reading(faq=0.80, stories=["a"], safety_stories=["b"]))
    assert codes(refused) == [gate.FAQ_DROP, gate.SAFETY_FAILED, gate.STORIES_FAILED]


def test_the_table_lists_every_topic_of_either_model():
    before = reading(topics={"shelter": {"accuracy": 0.8, "support": 5}})
    after = reading(
        topics={"shelter": {"accuracy": 0.9, "support": 5}, "new": {"accuracy": 1.0, "support": 3}}
    )
    assert gate.table(before, after) == [
        {"topic": "new", "before": None, "after": 1.0, "support": 3},
        {"topic": "shelter", "before": 0.8, "after": 0.9, "support": 5},
    ]
