"""Alerts in the conversation: the offer with its consent, yes, no, and BAJA; the one-time
offer only when it is the right moment; a failure ends with a person."""

import pytest

from actions import alerts as alert_actions
from line.alerts import subscriptions
from line.core import topics
from line.core.db import DatabaseUnavailable
from line.handoff import tickets
from tests.actions.conftest import make_tracker, run


def answered(topic):
    return {"event": "bot", "text": "...", "metadata": {"utter_action": f"utter_faq/{topic}"}}


def offered(domain, tracker):
    messages, events = run(alert_actions.ActionOfferAlerts(), tracker, domain)
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    return messages, slots


def test_asking_shows_the_consent_for_the_last_topic_and_region(database, domain):
    tracker = make_tracker(
        "avisenme si hay novedades",
        "subscribe_alerts",
        events=[answered("covid_vaccine")],
        slots={"region": "Piura"},
    )
    messages, slots = offered(domain, tracker)
    [message] = messages
    assert f"*{topics.faq_titles()['covid_vaccine']}*" in message["text"]
    assert "*Piura*" in message["text"] and "BAJA" in message["text"]
    assert [b["payload"] for b in message["buttons"]] == ["/affirm", "/deny"]
    assert all(len(b["title"]) <= 20 for b in message["buttons"])  # WhatsApp's button limit
    assert slots[alert_actions.OFFER_SLOT] == {
        "topic": "covid_vaccine",
        "region": "Piura",
        "text": message["text"],
    }
    assert slots[alert_actions.OFFERED_SLOT] is True


def test_with_nothing_known_the_offer_is_for_everything(database, domain):
    tracker = make_tracker("AVISOS", "subscribe_alerts")
    [message], slots = offered(domain, tracker)
    any_topic = domain["responses"]["utter_alerts_any_topic"][0]["text"]
    any_region = domain["responses"]["utter_alerts_any_region"][0]["text"]
    assert f"*{any_topic}*" in message["text"] and f"*{any_region}*" in message["text"]
    assert slots[alert_actions.OFFER_SLOT]["topic"] is None


def test_yes_keeps_the_subscription_with_the_words_shown(database, domain):
    shown = {"topic": "shelter", "region": "Tacna", "text": "¿Avisos sobre *Albergues*? BAJA"}
    tracker = make_tracker("si", "affirm", slots={alert_actions.OFFER_SLOT: shown}, sender="p1")
    messages, events = run(alert_actions.ActionSubscribeAlerts(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_alerts_subscribed"]
    assert messages[0]["region"] == "Tacna"
    kept = subscriptions.subscriber("p1")
    assert kept.active and kept.topics == ("shelter",) and kept.region == "Tacna"
    assert kept.consent_text == shown["text"] and kept.channel == "rest"
    assert events[0]["name"] == alert_actions.OFFER_SLOT and events[0]["value"] is None


def test_a_yes_with_no_offer_waiting_subscribes_nobody(database, domain):
    tracker = make_tracker("si", "affirm", sender="p2")
    messages, _ = run(alert_actions.ActionSubscribeAlerts(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_how_can_help"]
    assert subscriptions.subscriber("p2") is None


def test_no_to_the_offer_and_a_no_without_one(database, domain):
    shown = {"topic": None, "region": None, "text": "¿Avisos?"}
    tracker = make_tracker("no gracias", "deny", slots={alert_actions.OFFER_SLOT: shown})
    messages, events = run(alert_actions.ActionDeclineAlerts(), tracker, domain)
    assert [m["response"] for m in messages] == ["utter_alerts_declined"]
    assert events[0]["value"] is None
    messages, _ = run(alert_actions.ActionDeclineAlerts(), make_tracker("no", "deny"), domain)
    assert [m["response"] for m in messages] == ["utter_how_can_help"]


def test_baja_stops_at_once_and_says_so(database, domain):
    subscriptions.subscribe("p3", "whatsapp", "¿Avisos? BAJA para dejarlos")
    messages, events = run(
        alert_actions.ActionStopAlerts(),
        make_tracker("BAJA", "unsubscribe_alerts", sender="p3"),
        domain,
    )
    assert [m["response"] for m in messages] == ["utter_alerts_stopped"]
    assert not subscriptions.subscriber("p3").active
    assert {e["name"]: e["value"] for e in events} == {
        alert_actions.OFFER_SLOT: None,
        alert_actions.OFFERED_SLOT: True,
    }
    # Said again, or by someone never subscribed: the plain truth.
    messages, _ = run(
        alert_actions.ActionStopAlerts(),
        make_tracker("stop", "unsubscribe_alerts", sender="p3"),
        domain,
    )
    assert [m["response"] for m in messages] == ["utter_alerts_none_active"]


def test_the_one_time_offer_after_a_useful_answer(database, domain):
    events = [answered("shelter"), {"event": "user", "parse_data": {"intent": {"name": "faq"}}}]
    tracker = make_tracker("👍", "rate_useful", events=events)
    [message], slots = offered(domain, tracker)
    assert "BAJA" in message["text"] and slots[alert_actions.OFFERED_SLOT] is True
    # Never twice in a session.
    again = make_tracker(
        "👍", "rate_useful", events=events, slots={alert_actions.OFFERED_SLOT: True}
    )
    assert run(alert_actions.ActionOfferAlerts(), again, domain) == ([], [])


@pytest.mark.parametrize("earlier", ["emergency", "complaint"])
def test_no_offer_after_an_emergency_or_a_complaint(database, domain, earlier):
    events = [{"event": "user", "parse_data": {"intent": {"name": earlier}}}, answered("shelter")]
    tracker = make_tracker("👍", "rate_useful", events=events)
    assert run(alert_actions.ActionOfferAlerts(), tracker, domain) == ([], [])


def test_no_offer_to_a_subscriber(database, domain):
    subscriptions.subscribe("p4", "rest", "¿Avisos?")
    tracker = make_tracker("👍", "rate_useful", events=[answered("shelter")], sender="p4")
    assert run(alert_actions.ActionOfferAlerts(), tracker, domain) == ([], [])


def test_an_opt_out_that_cannot_be_stored_goes_to_a_person(database, domain, monkeypatch):
    def down(pseudonym):
        raise DatabaseUnavailable("database down")

    monkeypatch.setattr(alert_actions.subscriptions, "opt_out", down)
    messages, events = run(
        alert_actions.ActionStopAlerts(),
        make_tracker("BAJA", "unsubscribe_alerts", sender="p5"),
        domain,
    )
    assert messages[0]["response"] == "utter_alerts_failed"
    assert events[-1]["event"] == "pause"
    [ticket] = tickets.queue()
    assert ticket["sender_id"] == "p5"
