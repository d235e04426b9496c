"""Ratings and "borrar mis datos" over the REST channel, with the trained model,
the real action server and the SQL tracker store."""

import requests
from sqlalchemy import create_engine, text

from line.feedback.coding import sender_hash
from tests.support.net import wait_until
from tests.support.servers import AUTH


def count(url: str, sql: str, **params) -> int:
    with create_engine(url, future=True).connect() as connection:
        return connection.execute(text(sql), params).scalar()


def test_an_answer_is_rated_once_per_topic_and_a_thumbs_down_offers_a_person(person, rasa_server):
    replies = person.say("la vacuna contra el covid tiene costo para los extranjeros?")
    [question] = [r for r in replies if r.get("buttons")]
    assert [b["payload"] for b in question["buttons"]] == [
        '/rate_useful{"faq_topic": "covid_vaccine"}',
        '/rate_not_useful{"faq_topic": "covid_vaccine"}',
    ]
    # The same topic again in the same session: answered, not asked again.
    again = person.say("y cuantas dosis de la vacuna del covid me tocan?")
    assert "utter_faq/covid_vaccine" in person.utters()
    assert not any(r.get("buttons") for r in again)

    replies = person.say(question["buttons"][1]["payload"])
    assert [b["payload"] for r in replies for b in r.get("buttons", [])] == [
        "/request_human",
        "/deny",
    ]
    assert (
        count(
            rasa_server.db_url,
            "SELECT count(*) FROM ratings WHERE sender_hash = :h "
            "AND topic = 'covid_vaccine' AND useful = :useful",
            h=sender_hash(person.sender),
            useful=False,
        )
        == 1
    )
    person.say("si")
    assert "action_handoff" in person.actions()


def test_a_typed_thumbs_up_is_a_rating(person, rasa_server):
    person.say("cuales son los sintomas del covid en los ninos?")
    person.say("👍")
    assert (
        count(
            rasa_server.db_url,
            "SELECT count(*) FROM ratings WHERE sender_hash = :h AND useful = :useful",
            h=sender_hash(person.sender),
            useful=True,
        )
        == 1
    )


def test_erasing_my_data_after_one_confirmation(person, rasa_server):
    person.say("quiero hablar con una persona")  # leaves a ticket
    sender = person.sender
    assert (
        count(rasa_server.db_url, "SELECT count(*) FROM tickets WHERE sender_id = :s", s=sender)
        == 1
    )
    # An operator closes the case, so the bot reads the person again (as line/handoff/desk.py does).
    requests.post(
        f"{rasa_server.url}/conversations/{sender}/tracker/events",
        json=[{"event": "resume"}, {"event": "action", "name": "action_listen"}],
        params=AUTH,
        timeout=30,
    ).raise_for_status()
    replies = person.say("borren todos mis datos por favor")
    assert any(r.get("buttons") for r in replies), "one confirmation, with buttons"
    person.say("/affirm")
    assert (
        count(rasa_server.db_url, "SELECT count(*) FROM tickets WHERE sender_id = :s", s=sender)
        == 0
    )
    events = "SELECT count(*) FROM events WHERE sender_id = :s"
    # The conversation goes once the grace time has passed (LINE_ERASURE_GRACE=1 here).
    assert wait_until(lambda: count(rasa_server.tracker_db_url, events, s=sender) == 0, 30, 0.5)
    # Marked complete in the line's database right after (another transaction).
    completed = "SELECT count(*) FROM erasures WHERE sender_id IS NULL AND completed_at IS NOT NULL"
    assert wait_until(lambda: count(rasa_server.db_url, completed) >= 1, 10, 0.2)
    # Writing again starts a new conversation.
    assert person.say("hola")
