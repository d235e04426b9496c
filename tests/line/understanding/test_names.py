"""The shared names read FAQ answers the way Rasa writes them."""

from line.understanding import names


def test_faq_names_go_both_ways():
    assert names.faq_response("shelter") == "utter_faq/shelter"
    assert names.faq_key("shelter") == "faq/shelter"
    assert names.faq_topic_of("utter_faq/shelter") == "shelter"
    assert names.faq_topic_of("utter_greet") is None and names.faq_topic_of(None) is None


def test_the_selected_and_ranked_topics_of_a_parse():
    parse = {
        "response_selector": {
            "faq": {
                "response": {"intent_response_key": "faq/shelter", "confidence": 0.8},
                "ranking": [
                    {"intent_response_key": "faq/shelter", "confidence": 0.8},
                    {"intent_response_key": "faq/covid_testing", "confidence": 0.1},
                ],
            }
        }
    }
    assert names.selected_faq_topic(parse) == "shelter"
    assert names.faq_ranking(parse) == [("shelter", 0.8), ("covid_testing", 0.1)]
    assert names.selected_faq_topic({}) is None and names.faq_ranking({}) == []


def test_the_last_faq_answer_of_a_conversation():
    events = [
        {"event": "bot", "metadata": {"utter_action": "utter_faq/shelter"}},
        {"event": "bot", "metadata": {"utter_action": "utter_ask_rating"}},
        {"event": "user", "text": "👍"},
    ]
    assert names.last_faq_topic(events) == "shelter"
    assert names.last_faq_topic(events[1:]) is None


def test_every_danger_kind_has_its_emergency_answer():
    assert names.emergency_response("fire") == "utter_emergency_fire"
    assert names.emergency_response(None) == "utter_emergency_general"
