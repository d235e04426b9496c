"""FAQ actions: the picked topic is answered; "¿Quisiste decir…?" offers the likeliest."""

from actions import faq, session
from line.core import topics
from tests.actions.conftest import make_tracker, run


def selector(*ranked):
    return {
        "response_selector": {
            "faq": {
                "ranking": [
                    {"intent_response_key": f"faq/{topic}", "confidence": confidence}
                    for topic, confidence in ranked
                ]
            }
        }
    }


def test_a_picked_topic_is_answered_with_its_response(domain):
    tracker = make_tracker(
        '/choose_faq{"faq_topic": "shelter"}', "choose_faq", entities=[("faq_topic", "shelter")]
    )
    messages, _ = run(faq.ActionAnswerFaq(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_faq/shelter"]


def test_an_unknown_topic_payload_is_not_answered_with_a_guess(domain):
    tracker = make_tracker("/choose_faq", "choose_faq", entities=[("faq_topic", "nope")])
    messages, _ = run(faq.ActionAnswerFaq(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_how_can_help"]


def test_clarify_offers_the_two_likeliest_topics_and_a_person(domain):
    tracker = make_tracker(
        "albergue o multa",
        "nlu_fallback",
        parse_extra=selector(("shelter", 0.35), ("migration_fines", 0.3), ("covid_testing", 0.2)),
    )
    messages, _ = run(faq.ActionClarify(), tracker, domain)
    [message] = messages
    assert message["response"] == "utter_clarify"
    titles = topics.faq_titles()
    assert [b["title"] for b in message["buttons"]] == [
        titles["shelter"],
        titles["migration_fines"],
        domain["responses"]["utter_button_human"][0]["text"],
    ]
    assert message["buttons"][0]["payload"] == '/choose_faq{"faq_topic": "shelter"}'
    assert message["buttons"][-1]["payload"] == "/request_human"


def test_clarify_without_a_likely_topic_asks_to_rephrase(domain):
    tracker = make_tracker("xjq", "nlu_fallback", parse_extra=selector(("shelter", 0.05)))
    [message], _ = run(faq.ActionClarify(), tracker, domain)
    assert message["response"] == "utter_clarify_no_guess"
    assert [b["payload"] for b in message["buttons"]] == ["/request_human"]


def test_a_clarification_carries_the_emergency_line_when_something_sounds_like_risk(domain):
    extra = {**selector(("mental_health_support", 0.3)), "risk": True}
    messages, _ = run(
        faq.ActionClarify(),
        make_tracker("ya no se q hacer", "nlu_fallback", parse_extra=extra),
        domain,
    )
    assert [m["response"] for m in messages] == ["utter_clarify", "utter_safety_line"]
    calm, _ = run(
        faq.ActionClarify(),
        make_tracker("xjq", "nlu_fallback", parse_extra=selector(("shelter", 0.3))),
        domain,
    )
    assert [m["response"] for m in calm] == ["utter_clarify"]


def test_every_topic_has_a_title_short_enough_for_a_button():
    titles = topics.faq_titles()
    assert set(titles) == set(topics.answered_topic_ids())
    assert all(0 < len(title) <= 20 for title in titles.values())


def test_session_start_introduces_the_line_then_listens(domain):
    messages, events = run(session.ActionSessionStart(), make_tracker(), domain)
    assert [m["response"] for m in messages] == ["utter_session_intro"]
    assert [e["event"] for e in events] == ["session_started", "action"]
