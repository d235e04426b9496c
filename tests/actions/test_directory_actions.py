"""Service search actions against a real (SQLite) directory with the sample data."""

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import directory as directory_actions
from line.core.db import DatabaseUnavailable
from line.directory import search, store
from line.handoff import hours, tickets
from line.understanding import names
from tests.actions.conftest import make_tracker, run


@pytest.fixture
def sample_directory(database):
    store.ensure_sample_data()
    return database


def responses(messages):
    return [m.get("response") for m in messages]


def items(messages):
    return [m for m in messages if m.get("response", "").startswith("utter_service_item")]


def run_search(
    domain, category, region, city=None, metadata=None, action=None, shown=0, parse_extra=None
):
    slots = {"service_category": category, "region": region, "city": city, "results_shown": shown}
    tracker = make_tracker("", "find_service", slots=slots, parse_extra=parse_extra)
    if metadata:
        tracker.events[-1]["metadata"] = metadata
    return run(action or directory_actions.ActionFindServices(), tracker, domain)


def test_a_question_asked_with_the_place_is_offered_after_the_results(sample_directory, domain):
    extra = {names.ALSO_KEY: [names.FAQ_INTENT], names.ALSO_FAQ_TOPIC_KEY: "covid_vaccine"}
    messages, _ = run_search(domain, "health", "Piura", parse_extra=extra)
    assert items(messages)
    assert messages[-1]["response"] == "utter_offer_topic_asked_too"
    assert messages[-1]["buttons"][0]["payload"] == '/choose_faq{"faq_topic": "covid_vaccine"}'
    plain, _ = run_search(domain, "health", "Piura")
    assert "utter_offer_topic_asked_too" not in responses(plain)


def test_results_come_three_at_a_time_with_every_fact(sample_directory, domain):
    messages, events = run_search(domain, "health", "Lima", "San Juan de Lurigancho")
    assert responses(messages)[0] == "utter_services_found"
    shown = items(messages)
    assert 1 <= len(shown) <= 3
    for item in shown:
        assert {"name", "address", "phone", "hours", "cost", "verified"} <= set(item)
        assert all(item[key] for key in ("name", "address", "phone", "hours", "cost", "verified"))
    assert events[-1] == {
        "event": "slot",
        "timestamp": None,
        "name": "results_shown",
        "value": float(len(shown)),
    }


def test_sample_data_is_marked_as_still_to_verify(sample_directory, domain):
    messages, _ = run_search(domain, "health", "Tumbes")
    assert items(messages) and all(
        m["response"] == "utter_service_item_sample" for m in items(messages)
    )


def test_the_persons_district_comes_first(sample_directory, domain):
    messages, _ = run_search(domain, "health", "Lima", "San Juan de Lurigancho")
    first = items(messages)[0]
    [view] = [
        s for s in search.search("health", "Lima", city="San Juan de Lurigancho").services[:1]
    ]
    assert first["name"] == view.name and view.district == "San Juan de Lurigancho"


def test_ver_mas_shows_the_next_page(sample_directory, domain):
    total = search.search("food", "Lima").total
    assert total > 3, "sample data needs more than one page of food services in Lima"
    messages, events = run_search(
        domain, "food", "Lima", shown=3, action=directory_actions.ActionShowMore()
    )
    names = [m["name"] for m in items(messages)]
    assert names == [s.name for s in search.search("food", "Lima", offset=3).services]
    assert events[-1]["value"] == float(min(total, 6))


def test_a_location_pin_orders_by_distance(sample_directory, domain):
    pin = {"latitude": -12.0464, "longitude": -77.0428}
    messages, _ = run_search(domain, "health", "Lima", metadata=pin)
    names = [m["name"] for m in items(messages)]
    assert names == [
        s.name
        for s in search.search("health", "Lima", lat=pin["latitude"], lon=pin["longitude"]).services
    ]


def test_nothing_found_offers_a_person(sample_directory, domain, monkeypatch):
    monkeypatch.setattr(
        directory_actions.search,
        "search",
        lambda *a, **k: search.SearchResult([], 0, "Lima", False),
    )
    messages, _ = run_search(domain, "shelter", "Lima")
    assert responses(messages) == ["utter_services_none", "utter_offer_human"]


def test_a_directory_that_cannot_be_reached_hands_the_person_over(database, domain, monkeypatch):
    def down(*args, **kwargs):
        raise DatabaseUnavailable("database unavailable: connection refused")

    monkeypatch.setattr(directory_actions.search, "search", down)
    monkeypatch.setattr(hours, "is_open", lambda *a, **k: True)
    messages, events = run_search(domain, "shelter", "Lima")
    assert responses(messages) == ["utter_directory_unavailable", "utter_handoff_queued"]
    assert [e["event"] for e in events] == ["pause"]
    [ticket] = tickets.queue()
    assert ticket["reason"] == "technical" and ticket["topic"] == "shelter"
    notes = [m["text"] for m in tickets.ticket(ticket["id"])["messages"] if m["author"] == "note"]
    assert notes == ["[technical] database unavailable: connection refused"]


def test_an_unknown_place_is_said_kindly_and_asked_again(domain):
    extracted, messages = extract_region(
        make_tracker("en narnia", "inform", slots={"requested_slot": "region"}), domain
    )
    assert extracted == {"region": None}
    assert responses(messages) == ["utter_place_unknown", "utter_offer_human"]


def extract_region(tracker, domain):
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(
        directory_actions.ValidateServiceSearchForm().extract_region(dispatcher, tracker, domain)
    )
    return extracted, dispatcher.messages


def test_a_short_answer_is_read_from_the_text_whatever_the_intent(domain):
    extracted, messages = extract_region(
        make_tracker("por bellavista", "faq", slots={"requested_slot": "region"}), domain
    )
    assert extracted == {"region": "Callao", "city": "Bellavista"} and messages == []


def test_a_category_answer_is_read_from_the_text(domain):
    tracker = make_tracker(
        "un comedor popular", "inform", slots={"requested_slot": "service_category"}
    )
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(
        directory_actions.ValidateServiceSearchForm().extract_service_category(
            dispatcher, tracker, domain
        )
    )
    assert extracted == {"service_category": "food"}


def test_a_change_of_topic_mid_form_is_left_to_the_rules(domain):
    extracted, messages = extract_region(
        make_tracker("el sis es gratis?", "faq", slots={"requested_slot": "region"}), domain
    )
    assert extracted == {} and messages == []


def test_a_location_pin_gives_the_place_so_the_form_need_not_ask(domain):
    tracker = make_tracker("/share_location", "share_location", slots={"requested_slot": None})
    tracker.events[-1]["metadata"] = {"latitude": -8.11, "longitude": -79.03}
    extracted, messages = extract_region(tracker, domain)
    assert extracted == {"region": "La Libertad", "city": "Trujillo"} and messages == []


def extract_category(tracker, domain):
    dispatcher = CollectingDispatcher()
    extracted = asyncio.run(
        directory_actions.ValidateServiceSearchForm().extract_service_category(
            dispatcher, tracker, domain
        )
    )
    return extracted, dispatcher.messages


def answered(topic, asked="hay albergues?"):
    """The events of a turn where the person asked and the line gave an FAQ answer."""
    return [
        {"event": "user", "text": asked, "parse_data": {"intent": {"name": "faq"}}},
        {"event": "bot", "text": "…", "metadata": {"utter_action": f"utter_faq/{topic}"}},
        {"event": "bot", "text": "¿Te sirvió?", "metadata": {"utter_action": "utter_ask_rating"}},
    ]


def test_a_place_told_after_an_faq_answer_searches_that_answers_service(domain):
    tracker = make_tracker(
        "estoy en juliaca", "inform", entities=[("region", "Puno")], events=answered("shelter")
    )
    assert extract_category(tracker, domain) == ({"service_category": "shelter"}, [])


def test_only_the_answer_just_before_counts(domain):
    events = answered("shelter") + [
        {"event": "user", "text": "gracias", "parse_data": {"intent": {"name": "thanks"}}},
        {"event": "bot", "text": "De nada", "metadata": {"utter_action": "utter_thanks"}},
    ]
    tracker = make_tracker("estoy en lima", "inform", events=events)
    assert names.faq_topic_answered_before(tracker.events) is None
    assert extract_category(tracker, domain) == ({}, [])


def test_a_service_named_now_wins_over_the_answer_before(domain):
    tracker = make_tracker(
        "mejor un comedor en lima",
        "inform",
        slots={"requested_slot": "service_category"},
        events=answered("shelter"),
    )
    assert extract_category(tracker, domain) == ({"service_category": "food"}, [])


def test_an_answer_with_no_service_behind_it_leaves_the_question(domain):
    tracker = make_tracker("estoy en lima", "inform", events=answered("regularization_cpp"))
    assert extract_category(tracker, domain) == ({}, [])


def test_a_need_named_earlier_without_a_place_is_searched_when_the_place_comes(domain):
    tracker = make_tracker("vivo en chiclayo", "inform", slots={"need_category": "health"})
    assert extract_category(tracker, domain) == ({"service_category": "health"}, [])
