"""Whole conversations over the REST channel, with the trained model and real actions."""

import pytest


def test_a_faq_question_gets_its_answer(person):
    person.say("el seguro sis atiende a los venezolanos?")
    assert "utter_faq/health_insurance_sis" in person.utters()


def test_a_search_over_two_messages(person):
    replies = person.say("necesito un albergue")
    assert replies, "the line must ask where the person is"
    person.say("en trujillo")
    tracker = person.tracker()
    assert "action_find_services" in person.actions()
    assert tracker["slots"]["service_category"] == "shelter"
    assert tracker["slots"]["region"] == "La Libertad"


def test_danger_gets_the_number_first_then_a_person(person):
    replies = person.say("mi esposo me esta pegando, tengo miedo")
    texts = [r.get("text", "") for r in replies]
    assert any("105" in t for t in texts[:2])
    assert "action_handoff" in person.actions()
    assert person.tracker()["paused"]


def test_asking_for_a_person_hands_off_and_pauses(person):
    person.say("quiero hablar con un operador")
    assert "action_handoff" in person.actions()
    assert any(e["event"] == "pause" for e in person.tracker()["events"])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "👍👍👍",
        "🙏",
        "x" * 5000,
        "hola " * 1000,
        "hello, I need help with my visa please",
        "asdkjh qwpoeiru zxmcnb",
        "?????",
        "1234567890",
        "<script>alert(1)</script>",
    ],
)
def test_bad_input_gets_a_reply_or_a_person_never_silence(person, text):
    replies = person.say(text)
    assert replies or "action_handoff" in person.actions()


def test_two_unclear_messages_end_with_a_person(person):
    person.say("asdkjh qwpoeiru")
    person.say("zxcmnv poiuyt")
    assert "action_handoff" in person.actions()
