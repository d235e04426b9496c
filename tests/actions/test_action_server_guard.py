"""rasa_sdk_plugins: the action server refuses a call that does not carry the shared
secret (whatever it asks for), answers the one that does, and keeps /health open for
probes; without a secret it answers this machine (non-loopback callers: test_access)."""

from dataclasses import replace

import pytest
import requests
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager

from line.core import access, settings
from tests.support.whatsapp import SanicThread

SECRET = "a-shared-secret"


def serve(monkeypatch, secret: str) -> SanicThread:
    monkeypatch.setattr(
        settings, "settings", replace(settings.settings, action_server_token=secret)
    )
    app = create_app("actions")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)  # as `rasa run actions` does
    return SanicThread(app)


@pytest.fixture
def guarded(monkeypatch):
    server = serve(monkeypatch, SECRET)
    yield server
    server.stop()


def test_a_call_without_the_secret_is_refused(guarded):
    call = {"next_action": "action_handoff", "tracker": {}, "domain": {}}
    for headers in ({}, {access.ACTION_TOKEN_HEADER: "guess"}, {"Authorization": SECRET}):
        refused = requests.post(f"{guarded.base}/webhook", json=call, headers=headers)
        assert refused.status_code == 403, headers
        assert "action" not in refused.text  # nothing of the action server's own answer
        assert requests.get(f"{guarded.base}/actions", headers=headers).status_code == 403


def test_rasa_with_the_secret_is_answered(guarded):
    listed = requests.get(f"{guarded.base}/actions", headers={access.ACTION_TOKEN_HEADER: SECRET})
    assert listed.status_code == 200
    assert {"name": "action_handoff"} in listed.json()
    assert requests.get(f"{guarded.base}/health").ok


def test_without_a_secret_this_machine_is_answered(monkeypatch):
    server = serve(monkeypatch, "")
    try:
        assert requests.get(f"{server.base}/actions").status_code == 200
    finally:
        server.stop()
