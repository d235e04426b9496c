"""The Understanding component turns what the models and lexicons read into the one intent
the line acts on, with the entities and flags the actions need."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.understanding import ROUTER_KEY, Understanding
from line.understanding.router import RouterReading


def message(text, diet=None, topic="shelter", selector=0.9, router=None):
    diet = diet or {"faq": 0.95}
    ranking = sorted(
        ({"name": n, "confidence": c} for n, c in diet.items()), key=lambda r: -r["confidence"]
    )
    parsed = Message(
        data={
            "text": text,
            "intent": ranking[0],
            "intent_ranking": ranking,
            "entities": [],
            "response_selector": {
                "faq": {
                    "response": {
                        "confidence": selector,
                        "intent_response_key": f"faq/{topic}",
                        "utter_action": f"utter_faq/{topic}",
                    },
                    "ranking": [{"intent_response_key": f"faq/{topic}", "confidence": selector}],
                }
            },
        }
    )
    parsed.set(ROUTER_KEY, router or reading(diet, topic))
    return parsed


def reading(intents, topic="shelter", danger=0.0, kind="medical", closeness=0.5):
    return RouterReading(intents, {topic: 1.0}, danger, kind, {topic: closeness})


def understood(msg, **config):
    component = Understanding({**Understanding.get_default_config(), **config})
    [out] = component.process([msg])
    return out


def intent(msg):
    return msg.get("intent")["name"]


def entity(msg, name):
    return next((e["value"] for e in msg.get("entities") if e["entity"] == name), None)


def test_a_confident_close_faq_is_answered_with_the_topic_both_models_agree_on():
    out = understood(message("los albergues cobran algo?"))
    assert intent(out) == "faq"
    assert out.get("response_selector")["faq"]["response"]["utter_action"] == "utter_faq/shelter"
    # A question never fills the search slots, and an answer keeps no need for later
    # (only a clarification does: rasa test's stories hold no such entity).
    assert entity(out, "service_category") is None and entity(out, "need_category") is None


def test_danger_from_the_learned_detector_overrides_every_other_intent():
    router = reading({"emergency": 0.9, "faq": 0.1}, danger=0.9, kind="medical")
    out = understood(message("a mi bebe se le pusieron los labios moraditos", router=router))
    assert intent(out) == "emergency" and out.get("danger") == "medical"
    assert out.as_dict(only_output_properties=True)["danger"] == "medical"


def test_danger_from_the_lexicon_floor_even_when_the_models_see_none():
    out = understood(message("mi abuela se desmayo y no reacciona"))
    assert intent(out) == "emergency" and out.get("danger") == "medical"


def test_a_model_saying_emergency_alone_is_not_enough():
    router = reading({"emergency": 0.3, "faq": 0.7}, danger=0.3)
    out = understood(message("uy que miedo todo", diet={"emergency": 0.9}, router=router))
    assert intent(out) == "nlu_fallback" and out.get("risk") is True


def test_another_language_is_recognised_and_kept_for_the_ticket():
    out = understood(message("hello, where can I find a doctor for my daughter in Lima?"))
    assert intent(out) == "other_language" and out.get("language") == "en"


def test_a_place_request_becomes_a_search_with_category_and_place():
    out = understood(message("hay albergues en piura?"))
    assert intent(out) == "find_service"
    assert (entity(out, "service_category"), entity(out, "region")) == ("shelter", "Piura")
    # The question it also is (the models answer it surely) is offered after the results.
    assert out.get("also") == ["faq"] and out.get("also_faq_topic") == "shelter"


def test_a_need_named_without_a_place_is_kept_for_later():
    router = reading({"nlu_fallback": 0.0, "faq": 0.4}, topic="health_insurance_sis")
    out = understood(message("y lo del dentista para mi hija?", diet={"faq": 0.4}, router=router))
    assert entity(out, "need_category") == "health"
    assert entity(out, "service_category") is None


def test_a_question_far_from_every_example_has_no_topic():
    router = reading({"faq": 0.9}, closeness=0.01)
    out = understood(message("como me caso por civil", router=router), faq_far=0.1)
    assert intent(out) == "out_of_scope"


def test_a_lone_thumb_rates_the_last_answer():
    assert intent(understood(message("👎", diet={"nlu_fallback": 1.0}))) == "rate_not_useful"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("BAJA", "unsubscribe_alerts"),
        ("stop", "unsubscribe_alerts"),
        ("Avisos", "subscribe_alerts"),
    ],
)
def test_an_alerts_command_decides_before_any_model_or_language(text, expected):
    """ "stop" is not English here, and no model's guess can turn "BAJA" into a question."""
    out = understood(message(text, diet={"other_language": 0.9, "faq": 0.1}))
    assert intent(out) == expected


def test_payloads_are_left_to_rasa():
    out = understood(message('/inform{"service_category": "food"}', diet={"inform": 1.0}))
    assert intent(out) == "inform" and out.get("entities") == []


@pytest.mark.parametrize("text", ["", "   ", "😀", "?" * 50, "a" * 5000])
def test_odd_messages_never_crash(text):
    assert intent(understood(message(text))) in {"faq", "nlu_fallback", "out_of_scope", "inform"}


def test_saying_one_has_no_papers_is_marked_for_a_legal_handoff_after_the_answer():
    out = understood(message("entre por trocha, puedo sacar el carne de extranjeria?"))
    assert out.get("irregular_status") is True
    assert out.as_dict(only_output_properties=True)["irregular_status"] is True
    assert (
        understood(message("mi amiga entro por trocha y ya se regularizo")).get("irregular_status")
        is None
    )
