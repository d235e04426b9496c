"""When the line offers alerts in a conversation, what the offer covers, and the consent
text kept as the person read it."""

import pytest

from line.alerts import offer


def user(intent, **parse):
    return {"event": "user", "parse_data": {"intent": {"name": intent}, **parse}}


SESSION = {"event": "session_started"}


def test_the_offer_covers_the_contract_topic_and_region_or_everything():
    assert offer.scope("covid_vaccine", "La Libertad") == offer.Scope(
        "covid_vaccine", "La Libertad"
    )
    assert offer.scope("covid_vaccine", "La Libertad").topics == ("covid_vaccine",)
    # Unknown names widen the offer instead of failing it.
    assert offer.scope("no_such_topic", "Trujillo") == offer.Scope(None, None)
    assert offer.scope(None, None).topics == ()


@pytest.mark.parametrize(
    "events",
    [
        [user("emergency")],
        [user("complaint")],
        [user("faq", danger="medical")],  # danger read by the lexicon floor, any intent
        [user("greet"), user("emergency"), user("faq")],
    ],
)
def test_no_offer_in_a_session_with_danger_or_a_complaint(events):
    assert offer.troubled(events)
    assert not offer.may_offer(events, offered=False, subscribed=False, channel="whatsapp")


def test_an_earlier_session_does_not_count():
    events = [user("emergency"), SESSION, user("faq"), user("rate_useful")]
    assert not offer.troubled(events)
    assert offer.may_offer(events, offered=False, subscribed=False, channel="whatsapp")


@pytest.mark.parametrize(
    "offered, subscribed, channel",
    [(True, False, "whatsapp"), (False, True, "rest"), (False, False, "socketio")],
)
def test_once_a_session_never_to_a_subscriber_and_only_where_alerts_go(
    offered, subscribed, channel
):
    events = [user("faq"), user("rate_useful")]
    assert not offer.may_offer(events, offered, subscribed, channel)


def test_the_consent_is_the_text_as_read():
    template = "¿Avisos sobre *{topic}* en *{region}*? Escribe BAJA para dejarlos."
    assert (
        offer.fill(template, topic="Vacunas", region="Piura")
        == "¿Avisos sobre *Vacunas* en *Piura*? Escribe BAJA para dejarlos."
    )
