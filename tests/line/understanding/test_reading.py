"""From what the models said and what the lexicons see to the signals of the precedence."""

import pytest

from line.understanding import categories
from line.understanding.reading import ModelView, Thresholds, answer_topic, blend_topics, read

LIMITS = Thresholds(
    danger=0.5,
    risk=0.2,
    personal_case=0.3,
    wants_person=0.5,
    place_request=0.5,
    faq=0.5,
    faq_gate=0.3,
    faq_over_case=0.8,
    faq_close=0.1,
    faq_far=0.05,
    faq_margin=0.0,
    faq_margin_under=0.95,
    faq_unfamiliar=0.1,
    faq_unfamiliar_no_topic=0.2,
    no_topic=0.3,
    no_topic_over_place=0.7,
)


def view(
    intents=None,
    topic=None,
    confidence=0.9,
    closeness=0.5,
    danger=0.0,
    kind=None,
    no_topic=0.1,
    unfamiliar=0.0,
):
    return ModelView(
        intents=intents or {"faq": 0.9},
        danger=danger,
        danger_kind=kind,
        faq_topic=topic,
        faq_confidence=confidence,
        faq_closeness=closeness,
        no_topic_closeness=no_topic,
        faq_unfamiliar=unfamiliar,
        faq_ranking=(topic,) if topic else (),
    )


def signals(text, model):
    return read(text, model, LIMITS, categories.faq_topic_categories()).signals


def test_the_lexicon_floor_fires_whatever_the_models_say():
    s = signals("mi bebe no respira", view(topic="covid_symptoms", danger=0.01))
    assert s.danger == "medical" and s.faq_topic == "covid_symptoms"


def test_the_learned_detector_fires_above_its_threshold_with_its_kind():
    text = "se le puso la boquita moradita y no llora"
    assert signals(text, view(danger=0.8, kind="medical")).danger == "medical"
    assert signals(text, view(danger=0.3, kind="medical")).danger is None


def test_the_spanish_detector_is_not_trusted_on_another_language():
    text = "hello, my son has a little fever since yesterday"
    s = signals(text, view(danger=0.9, kind="medical"))
    assert s.danger is None and s.language == "en"


def test_a_personal_case_from_the_models_or_the_cues_and_a_complaint_keeps_its_intent():
    assert signals("ya van 3 meses", view({"personal_case": 0.4})).personal_case == "personal_case"
    assert signals("me trataron mal", view({"complaint": 0.5})).personal_case == "complaint"
    assert signals("hola", view({"greet": 0.9})).personal_case is None


def test_a_question_read_far_more_surely_as_an_faq_beats_a_weak_personal_reading():
    text = "cobran por anotarse en la lista de ayuda?"
    sure = view({"faq": 0.85, "personal_case": 0.31}, topic="help_is_free")
    assert signals(text, sure).personal_case is None
    assert signals(text, sure).faq_topic == "help_is_free"
    unsure = view({"faq": 0.65, "personal_case": 0.31}, topic="help_is_free")
    assert signals(text, unsure).personal_case == "personal_case"
    far = view({"faq": 0.85, "personal_case": 0.31}, topic="help_is_free", closeness=0.05)
    assert signals(text, far).personal_case == "personal_case"


def test_a_question_repeating_what_others_say_is_about_a_rule_not_a_case():
    split = view({"faq": 0.65, "personal_case": 0.31}, topic="lockdown_rules")
    hearsay = "un vecino dice que de noche no se puede salir a la calle, sera cierto?"
    assert signals(hearsay, split).personal_case is None
    assert signals(hearsay, split).faq_topic == "lockdown_rules"
    assert signals("de noche no puedo salir a la calle?", split).personal_case == "personal_case"
    # A case stays a case: the cues for one, or a far topic, win over the hearsay.
    case = "me dijeron que mi expediente sigue en evaluacion, ya van 5 meses"
    assert signals(case, split).personal_case == "personal_case"
    far = view({"faq": 0.65, "personal_case": 0.31}, topic="lockdown_rules", closeness=0.05)
    assert signals(hearsay, far).personal_case == "personal_case"


def test_abuse_reported_with_an_answerable_question_gets_the_answer_first():
    text = "el encargado del albergue me pide favores a cambio de comida"
    answered = read(text, view(topic="shelter"), LIMITS, {})
    assert answered.abuse and answered.signals.personal_case is None
    unanswered = read(text, view({"nlu_fallback": 1.0}), LIMITS, {})
    assert unanswered.signals.personal_case == "personal_case"


@pytest.mark.parametrize(
    "text, model, expected",
    [
        ("donde hay un albergue en tacna", view(topic="shelter"), True),  # where-words
        ("hay albergues en piura?", view(topic="shelter"), True),  # its FAQ topic, a place
        ("albergue tacna", view({"nlu_fallback": 1.0}), True),  # a place, no answer
        ("necesito un psicologo", view({"find_service": 0.8}), True),  # the model says so
        ("los albergues cobran?", view(topic="shelter"), False),  # a question, no place
        # "Where" with no place: a sure answer explains and asks the city; else the search.
        ("donde hay albergues?", view(topic="shelter"), False),
        ("donde hay albergues?", view({"faq": 0.6}, topic="shelter"), True),
        # A place and a category, but a confident answer of another topic: the answer.
        (
            "en lima piden carnet de vacunacion pa viajar?",
            view(topic="travel_between_regions"),
            False,
        ),
        # A category and a place the models read as out of scope: no search; a "where"
        # still asks for a place.
        ("albergue tacna", view({"out_of_scope": 0.9}), False),
        ("albergue tacna", view({"out_of_scope": 0.6}), True),
        ("donde hay un albergue en tacna", view({"out_of_scope": 0.9}), True),
    ],
)
def test_a_place_request(text, model, expected):
    assert signals(text, model).place_request is expected


def test_no_topic_from_the_models_another_country_or_far_from_every_example():
    assert signals("como saco brevete", view({"out_of_scope": 0.6})).no_topic
    assert signals("como pido la residencia en chile?", view(topic="foreigner_id_card")).no_topic
    far = signals("como me caso con mi novia", view(topic="family_contact", closeness=0.01))
    assert far.no_topic and far.faq_topic is None


def test_a_question_nearer_the_questions_no_topic_answers_than_its_topic_is_not_answered():
    nearer_none = view(topic="foreigner_id_card", closeness=0.4, no_topic=0.5)
    s = signals("cuanto cuesta apostillar mi titulo", nearer_none)
    assert s.no_topic and s.faq_topic is None
    nearer_topic = view(topic="foreigner_id_card", closeness=0.5, no_topic=0.4)
    s = signals("cuanto cuesta el carne de extranjeria", nearer_topic)
    assert s.faq_topic == "foreigner_id_card" and not s.no_topic


def test_a_topic_named_surely_enough_is_answered_even_a_little_nearer_no_topic():
    sure = view(topic="voluntary_return", confidence=0.96, closeness=0.30, no_topic=0.32)
    s = signals("quiero volver a mi pais, me ayudan con el pasaje?", sure)
    assert s.faq_topic == "voluntary_return" and not s.no_topic


def test_words_the_topic_never_uses_with_a_no_topic_reading_make_no_topic():
    text = "si se me pierde el carnet como saco el duplicado"
    neighbour = view({"faq": 0.75, "out_of_scope": 0.2}, "foreigner_id_card", unfamiliar=0.3)
    s = signals(text, neighbour)
    assert s.no_topic and s.faq_topic is None
    # Either reading alone is not enough: a story before the question, or a plain question.
    for one_only in (
        view({"faq": 0.75, "out_of_scope": 0.1}, "foreigner_id_card", unfamiliar=0.3),
        view({"faq": 0.75, "out_of_scope": 0.2}, "foreigner_id_card", unfamiliar=0.05),
    ):
        s = signals(text, one_only)
        assert s.faq_topic == "foreigner_id_card" and not s.no_topic


def test_a_weak_faq_guess_asks_instead_of_answering():
    reading = read("y lo del papel", view(topic="shelter", confidence=0.1), LIMITS, {})
    assert reading.signals.faq_topic is None and reading.unsure_faq


def test_risk_short_of_danger_is_flagged_for_the_clarification():
    assert read("no se que hacer", view(danger=0.3), LIMITS, {}).risk
    assert not read("los albergues cobran?", view(topic="shelter", danger=0.01), LIMITS, {}).risk


def test_both_models_rank_the_faq_topics_together():
    ranked = blend_topics({"shelter": 0.6, "food_assistance": 0.4}, {"food_assistance": 0.9}, 0.5)
    assert [topic for topic, _ in ranked][:2] == ["food_assistance", "shelter"]


def test_a_plain_question_gets_the_contract_topic_a_rumour_keeps_the_myth_answer():
    ranking = ("rumour_paying_for_help", "help_is_free")
    plain = answer_topic("rumour_paying_for_help", ranking, "hay que pagar por la ayuda?")
    assert plain == "help_is_free"
    hearsay = answer_topic("rumour_paying_for_help", ranking, "dicen que la cruz roja cobra")
    assert hearsay == "rumour_paying_for_help"
