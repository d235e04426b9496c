"""Rasa's events redacted for RabbitMQ (line/privacy/events.py), as the redacting
broker (stores/broker.py) publishes them, without RabbitMQ."""

from line.privacy.events import Said, redact_event

SENDER = "c0ffee"
MESSAGE = "me llamo Yuleisy Carrasquel, mi DNI es 45678912, cel 987654321, vivo en Tacna"
IDENTIFIERS = ("Yuleisy", "Carrasquel", "45678912", "987654321")


def user_event(text=MESSAGE):
    return {
        "event": "user",
        "sender_id": SENDER,
        "timestamp": 1.5,
        "text": text,
        "parse_data": {
            "text": text,
            "intent": {"name": "personal_case", "confidence": 0.9},
            "entities": [
                {"entity": "person", "value": "Yuleisy Carrasquel", "start": 9, "end": 27},
                {"entity": "region", "value": "Tacna", "start": 72, "end": 77},
            ],
        },
        "input_channel": "whatsapp",
    }


def assert_clean(value):
    assert not any(part in repr(value) for part in IDENTIFIERS), value


def test_a_message_loses_its_identifiers_and_keeps_its_place():
    event = redact_event(user_event(), Said())
    assert event["text"] == (
        "me llamo <NOMBRE>, mi DNI es <DOCUMENTO>, cel <TELEFONO>, vivo en Tacna"
    )
    assert event["parse_data"]["text"] == event["text"]
    assert [e["value"] for e in event["parse_data"]["entities"]] == ["<NOMBRE>", "Tacna"]
    assert event["parse_data"]["intent"]["name"] == "personal_case"
    assert event["sender_id"] == SENDER and event["timestamp"] == 1.5
    assert_clean(event)


def test_the_original_event_is_left_alone():
    """The tracker store keeps the live conversation as it was said."""
    original = user_event()
    redact_event(original, Said())
    assert original == user_event()


def test_a_response_loses_only_what_the_person_said():
    said = Said()
    redact_event(user_event(), said)
    echo = {
        "event": "bot",
        "sender_id": SENDER,
        "text": "Gracias Yuleisy. Llama al 987654321 o a la Defensoría, 0800 15 170",
        "metadata": {"utter_action": "utter_handoff_waiting"},
    }
    event = redact_event(echo, said)
    assert event["text"] == "Gracias <NOMBRE>. Llama al <TELEFONO> o a la Defensoría, 0800 15 170"


def test_an_operator_reply_is_redacted_like_a_message():
    operator = {
        "event": "bot",
        "sender_id": "someone-else",
        "text": "Hola, soy Rosmery Quispe y te escribo al 912345678",
        "metadata": {"operator": "ana"},
    }
    event = redact_event(operator, Said())
    assert "Rosmery" not in event["text"] and "912345678" not in event["text"]
    assert event["metadata"] == {"operator": "ana"}


def test_a_slot_echoing_an_identifier_loses_it():
    said = Said()
    redact_event(user_event(), said)
    slot = {"event": "slot", "sender_id": SENDER, "name": "contact", "value": ["987654321", 3]}
    assert redact_event(slot, said)["value"] == ["<TELEFONO>", 3]
    region = {"event": "slot", "sender_id": SENDER, "name": "region", "value": "Tacna"}
    assert redact_event(region, said)["value"] == "Tacna"


def test_identifiers_stay_with_their_conversation():
    said = Said()
    redact_event(user_event(), said)
    other = {"event": "slot", "sender_id": "other", "name": "x", "value": "Yuleisy"}
    assert redact_event(other, said)["value"] == "Yuleisy"


def test_other_events_pass_unchanged():
    action = {"event": "action", "sender_id": SENDER, "name": "action_handoff"}
    assert redact_event(action, Said()) is action


def test_redacting_a_redacted_event_changes_nothing():
    """Events kept while RabbitMQ is away are published again, through `publish`."""
    said = Said()
    once = redact_event(user_event(), said)
    assert redact_event(once, said) == once


def test_a_location_pin_loses_its_coordinates_and_keeps_what_it_was():
    """Where a person is, to the metre, is an identifier: the redacted event keeps that a
    pin was shared (its text) and the channel's other metadata, not the coordinates."""
    pin = {
        "event": "user",
        "sender_id": SENDER,
        "text": "/share_location",
        "metadata": {"latitude": -12.0464, "longitude": -77.0428, "message_id": "wamid.1"},
        "parse_data": {"text": "/share_location", "intent": {"name": "share_location"}},
    }
    redacted = redact_event(pin, Said())
    assert redacted["metadata"] == {"message_id": "wamid.1"}
    assert redacted["text"] == "/share_location"
    assert "-12.0464" not in repr(redacted) and "-77.0428" not in repr(redacted)
    assert pin["metadata"]["latitude"] == -12.0464  # the original is left alone
