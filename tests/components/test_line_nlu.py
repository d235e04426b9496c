"""The custom NLU components decide what must not depend on the model alone."""

import pytest
from rasa.shared.nlu.training_data.message import Message

from components.line_nlu import FaqConfidenceGate, IntentCues, SafetyNet, ServiceSearch


def message(text, intent="faq", confidence=0.95, selector_confidence=0.9, entities=()):
    data = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "entities": list(entities),
        "response_selector": {
            "faq": {
                "response": {
                    "confidence": selector_confidence,
                    "intent_response_key": "faq/shelter",
                }
            }
        },
    }
    return Message(data=data)


def run(component_class, msg, **config):
    component = component_class({**component_class.get_default_config(), **config})
    [out] = component.process([msg])
    return out


def intent(msg):
    return msg.get("intent")["name"]


def entity(msg, name):
    return next((e["value"] for e in msg.get("entities") if e["entity"] == name), None)


def test_an_uncertain_faq_answer_falls_back_even_with_a_confident_intent():
    out = run(FaqConfidenceGate, message("albergue multa", selector_confidence=0.2), threshold=0.4)
    assert intent(out) == "nlu_fallback"
    assert out.get("intent_ranking")[1]["name"] == "faq"  # the model's view is kept


def test_a_confident_faq_answer_is_kept():
    assert intent(run(FaqConfidenceGate, message("los albergues cobran?"), threshold=0.4)) == "faq"


def test_other_intents_are_not_gated():
    out = run(FaqConfidenceGate, message("hola", intent="greet", selector_confidence=0.01))
    assert intent(out) == "greet"


def test_category_and_place_become_entities_of_a_search():
    out = run(ServiceSearch, message("hay alguna posta cerca de sjl?", intent="find_service"))
    assert entity(out, "service_category") == "health"
    assert (entity(out, "region"), entity(out, "city")) == ("Lima", "San Juan de Lurigancho")


def test_payloads_are_left_to_rasa():
    out = run(ServiceSearch, message('/inform{"service_category": "food"}', intent="inform"))
    assert out.get("entities") == []


def test_asking_for_a_person_overrides_a_faq_guess():
    out = run(IntentCues, message("quiero q alguien de la cruz roja me llame por telefono"))
    assert intent(out) == "request_human"


def test_a_lone_thumb_rates_the_last_answer_whatever_the_model_guessed():
    assert intent(run(IntentCues, message("👎", intent="nlu_fallback"))) == "rate_not_useful"
    assert intent(run(IntentCues, message("👍🏽", intent="thank"))) == "rate_useful"


def test_a_reported_abuse_goes_to_a_person_and_a_faq_answer_is_flagged():
    out = run(IntentCues, message("el encargado del albergue me pide favores a cambio de comida"))
    assert intent(out) == "faq" and out.get("abuse_report") is True
    out = run(IntentCues, message("mi jefe me quito el pasaporte", intent="nlu_fallback"))
    assert intent(out) == "personal_case" and out.get("abuse_report") is True


@pytest.mark.parametrize("intent_name", ["faq", "personal_case", "request_human"])
def test_saying_one_has_no_papers_is_marked_whatever_the_intent(intent_name):
    out = run(IntentCues, message("entre por trocha, puedo sacar el carne?", intent=intent_name))
    assert out.get("irregular_status") is True and intent(out) == intent_name
    assert out.as_dict(only_output_properties=True)["irregular_status"] is True  # in the parse
    plain = run(IntentCues, message("mi amiga entro por trocha y ya se regularizo"))
    assert plain.get("irregular_status") is None


def test_a_plain_question_gets_the_contract_topic_a_rumour_keeps_the_myth_answer():
    def asked(text):
        parsed = message(text)
        parsed.set(
            "response_selector",
            {
                "faq": {
                    "response": {
                        "intent_response_key": "faq/rumour_paying_for_help",
                        "utter_action": "utter_faq/rumour_paying_for_help",
                        "confidence": 0.8,
                    }
                }
            },
        )
        return run(FaqConfidenceGate, parsed).get("response_selector")["faq"]["response"]

    plain = asked("hay que pagar para recibir la ayuda de la cruz roja?")
    assert (plain["intent_response_key"], plain["utter_action"]) == (
        "faq/help_is_free",
        "utter_faq/help_is_free",
    )
    assert (
        asked("dicen que la cruz roja cobra por la ayuda")["utter_action"]
        == "utter_faq/rumour_paying_for_help"
    )


def test_a_plain_question_gets_the_best_ranked_of_the_rumours_contract_topics():
    parsed = message("ustedes le pasan mis datos a migraciones?")
    parsed.set(
        "response_selector",
        {
            "faq": {
                "response": {
                    "intent_response_key": "faq/rumour_deportation_fear",
                    "utter_action": "utter_faq/rumour_deportation_fear",
                    "confidence": 0.6,
                },
                "ranking": [
                    {"intent_response_key": key, "confidence": c}
                    for key, c in (
                        ("faq/rumour_deportation_fear", 0.6),
                        ("faq/data_privacy", 0.3),
                        ("faq/covid_vaccine", 0.05),
                    )
                ],
            }
        },
    )
    selected = run(FaqConfidenceGate, parsed).get("response_selector")["faq"]["response"]
    assert selected["utter_action"] == "utter_faq/data_privacy"


def test_asking_where_a_service_is_becomes_a_search():
    out = run(ServiceSearch, message("la cruz roja tiene local en chiclayo?"))
    assert intent(out) == "find_service"
    assert (entity(out, "service_category"), entity(out, "region")) == (
        "red_cross_office",
        "Lambayeque",
    )


def test_a_general_question_about_a_service_stays_a_faq():
    out = run(ServiceSearch, message("en lima los albergues cobran?"))
    assert intent(out) == "faq"
    assert out.get("entities") == []  # a question never fills the search slots


@pytest.mark.parametrize(
    "text, kind",
    [
        ("mi pareja me acaba de golpear", "violence"),
        ("mi abuela se desmayo y no reacciona", "medical"),
        ("no aguanto mas quiero morirme", "suicide"),
    ],
)
def test_danger_overrides_every_other_intent(text, kind):
    out = run(SafetyNet, message(text, intent="request_human"))
    assert intent(out) == "emergency" and out.get("danger") == kind
    assert out.as_dict(only_output_properties=True)["danger"] == kind


def test_a_general_question_about_violence_is_not_an_emergency():
    assert intent(run(SafetyNet, message("la linea 100 es gratis?"))) == "faq"


def test_an_inform_with_no_place_or_category_is_not_understood():
    out = run(ServiceSearch, message("zxcmnv poiuyt", intent="inform"))
    assert intent(out) == "nlu_fallback"


def test_a_place_alone_is_an_answer():
    out = run(ServiceSearch, message("por bellavista", intent="inform"))
    assert intent(out) == "inform" and entity(out, "region") == "Callao"


def test_another_countrys_procedure_is_out_of_scope():
    out = run(IntentCues, message("en argentina piden antecedentes penales pa la residencia?"))
    assert intent(out) == "out_of_scope"


def test_a_peru_question_naming_another_country_stays_a_faq():
    out = run(IntentCues, message("vengo de colombia, puedo pedir refugio en peru?"))
    assert intent(out) == "faq"
