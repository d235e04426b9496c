"""Closed by default, on the real servers with the trained model: Rasa's HTTP API refuses
a call without the token and answers one with it, whether the token comes from
RASA_TOKEN or from the file make run writes, while the public REST channel still
answers anyone."""

import dataclasses

import pytest
import requests

from line.core import rasa_api
from line.core import settings as config
from tests.support.servers import AUTH, TOKEN


def test_the_api_needs_the_token(person, rasa_server):
    person.say("hola")
    tracker = f"{rasa_server.url}/conversations/{person.sender}/tracker"
    for refused in (
        requests.get(tracker, timeout=30),
        requests.get(tracker, params={"token": "guess"}, timeout=30),
        requests.get(f"{rasa_server.url}/status", timeout=30),
        requests.post(f"{rasa_server.url}/model/parse", json={"text": "hola"}, timeout=30),
        requests.post(f"{tracker}/events", json=[{"event": "pause"}], timeout=30),
    ):
        assert refused.status_code == 401, refused.url
    answered = requests.get(tracker, params=AUTH, timeout=30)
    assert answered.status_code == 200
    assert [e["text"] for e in answered.json()["events"] if e["event"] == "user"] == ["hola"]
    assert not answered.json()["paused"]  # the refused pause was not applied


def test_the_rest_channel_needs_no_token(rasa_server):
    reply = requests.post(
        f"{rasa_server.url}/webhooks/rest/webhook",
        json={"sender": "closed-rest", "message": "hola"},
        timeout=60,
    )
    assert reply.status_code == 200
    assert any(message.get("text") for message in reply.json())


def test_a_tool_started_beside_make_run_finds_the_run_s_token(
    person, rasa_server, monkeypatch, tmp_path
):
    person.say("hola")
    token_file = tmp_path / "rasa-token"
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            config.settings, rasa_url=rasa_server.url, rasa_token="", rasa_token_file=token_file
        ),
    )
    with pytest.raises(rasa_api.RasaUnavailable, match="401"):
        rasa_api.tracker(person.sender)
    token_file.write_text(TOKEN + "\n")
    assert rasa_api.tracker(person.sender)["sender_id"] == person.sender
