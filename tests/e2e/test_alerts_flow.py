"""Alerts in a REST conversation with the trained model and the real action server: the
one-time offer after a 👍, yes with the button, and BAJA."""

from sqlalchemy import create_engine, text


def subscription(url: str, sender: str):
    with create_engine(url, future=True).connect() as connection:
        return connection.execute(
            text(
                "SELECT consent_text, topics, opted_out_at FROM alert_subscriptions "
                "WHERE pseudonym = :p"
            ),
            {"p": sender},
        ).first()


def test_the_offer_after_a_useful_answer_is_accepted_and_baja_stops_it(person, rasa_server):
    person.say("cuales son los sintomas del covid en los ninos?")
    replies = person.say("👍")
    [offer] = [r for r in replies if "BAJA" in (r.get("text") or "")]
    assert [b["payload"] for b in offer["buttons"]] == ["/affirm", "/deny"]
    person.say("/affirm")
    kept = subscription(rasa_server.db_url, person.sender)
    assert kept is not None and kept.consent_text == offer["text"] and kept.opted_out_at is None
    # A second 👍 in the same session brings no second offer.
    person.say("y la prueba de covid es gratis?")
    assert not any("BAJA" in (r.get("text") or "") for r in person.say("👍"))
    replies = person.say("BAJA")
    assert subscription(rasa_server.db_url, person.sender).opted_out_at is not None
    assert len(replies) == 1 and "AVISOS" in replies[0]["text"]


def test_no_thanks_keeps_nothing(person, rasa_server):
    person.say("quiero recibir avisos cuando haya novedades")
    replies = person.say("/deny")
    assert subscription(rasa_server.db_url, person.sender) is None
    assert replies and "AVISOS" in replies[0]["text"]
