"""The order in which the line acts on a message's needs: one table, read row by row."""

import pytest

from line.understanding.precedence import PRECEDENCE, Decision, Signals, decide

# Every signal set, from the most urgent to the least, with the intent it gives.
ORDER = [
    ("danger", "medical", "emergency"),
    ("language", "en", "other_language"),
    ("personal_case", "personal_case", "personal_case"),
    ("wants_person", True, "request_human"),
    ("place_request", True, "find_service"),
    ("faq_topic", "shelter", "faq"),
    ("no_topic", True, "out_of_scope"),
]


def test_the_configured_order_is_the_documented_one():
    assert [name for name, _ in PRECEDENCE] == [name for name, _, _ in ORDER]


@pytest.mark.parametrize("position", range(len(ORDER)))
def test_each_signal_wins_over_every_later_one_and_loses_to_every_earlier_one(position):
    name, value, intent = ORDER[position]
    later = {n: v for n, v, _ in ORDER[position + 1 :]}
    decision = decide(Signals(**{name: value}, **later))
    assert decision.intent == intent
    assert decision.also == tuple(i for _, _, i in ORDER[position + 1 :])
    if position:
        earlier, earlier_value, earlier_intent = ORDER[position - 1]
        both = Signals(**{name: value, earlier: earlier_value})
        assert decide(both).intent == earlier_intent


def test_a_complaint_is_a_personal_case_that_keeps_its_own_intent():
    assert decide(Signals(personal_case="complaint", faq_topic="shelter")) == Decision(
        "complaint", ("faq",)
    )


def test_no_signal_leaves_the_models_intent():
    assert decide(Signals()) == Decision(None)
