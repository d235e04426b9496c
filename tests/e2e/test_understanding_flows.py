"""Understanding over whole conversations, with the trained model and real actions: a need
told before the place, another language, danger told while waiting for a person, a
question with no topic, and several needs in one message. Messages here are the tests'
own, never copied from the training data or the evaluation sets."""

from tests.support.servers import bot_texts


def texts(replies):
    return [text for text in bot_texts(replies) if text]


def searched(person):
    """(category, region) of the search the conversation ran; None if it ran none."""
    if "action_find_services" not in person.actions():
        return None
    slots = person.tracker()["slots"]
    return slots["service_category"], slots["region"]


def test_a_need_told_first_and_the_place_later_is_one_search(person):
    person.say("necesito un dentista para mi hija de 6 años")
    person.say("vivo en chiclayo")
    assert searched(person) == ("health", "Lambayeque")


def test_a_place_told_after_an_faq_answer_searches_that_answers_service(person):
    person.say("reparten canastas de viveres a los migrantes?")
    assert "utter_faq/food_assistance" in person.utters()
    assert searched(person) is None
    person.say("estoy en trujillo")
    assert searched(person) == ("food", "La Libertad")


def test_asking_whether_a_service_exists_somewhere_is_a_search(person):
    person.say("hay psicologo gratis en tarapoto?")
    assert searched(person) == ("mental_health", "San Martín")


def test_another_language_gets_a_reply_in_it_and_a_person(person):
    replies = person.say("good morning, I need help to get a doctor for my son please")
    assert "action_handoff" in person.actions()
    assert any("Spanish" in text for text in texts(replies))
    user = [e for e in person.tracker()["events"] if e["event"] == "user"][-1]
    assert user["parse_data"]["language"] == "en"


def test_danger_told_while_waiting_for_a_person_still_gets_the_numbers(person):
    person.say("quiero hablar con una persona por favor")
    assert person.tracker()["paused"]
    replies = person.say("ayuda ahora mi pareja me esta golpeando")
    assert any("105" in text for text in texts(replies))


def test_a_question_with_no_topic_is_said_honestly_then_a_person_and_never_another_answer(person):
    person.say("como hago para sacar la licencia de conducir siendo extranjero")
    assert "action_handoff" in person.actions()
    assert not [u for u in person.utters() if u.startswith("utter_faq/")]


def test_danger_and_another_need_in_one_message_the_danger_first(person):
    replies = person.say("mi marido me pego recien y ademas no tengo donde dormir con mis hijos")
    assert any("105" in text for text in texts(replies)[:2])
    assert "action_handoff" in person.actions()
