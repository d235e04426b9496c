"""rasa_sdk_plugins: the action server refuses a call that does not carry the shared
secret (whatever it asks for), answers the one that does, and keeps /health open for
probes; without a secret it answers this machine and refuses another address of it."""

import ipaddress
import socket
from dataclasses import replace

import pytest
import requests
from rasa_sdk.endpoint import create_app
from rasa_sdk.plugin import plugin_manager

from line.core import access, settings
from tests.support.whatsapp import SanicThread

SECRET = "a-shared-secret"


class OpenSanicThread(SanicThread):
    """Listening on every interface, as with LINE_BIND=0.0.0.0."""

    def _run(self):
        self.app.run(host="0.0.0.0", port=self.port, register_sys_signals=False, access_log=False)


def serve(monkeypatch, secret: str, thread=SanicThread) -> SanicThread:
    monkeypatch.setattr(
        settings, "settings", replace(settings.settings, action_server_token=secret)
    )
    app = create_app("actions")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)  # as `rasa run actions` does
    return thread(app)


def own_address():
    """This machine's address on its network (a UDP connect sends nothing), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if ipaddress.ip_address(address).is_loopback else address


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


def test_without_a_secret_only_loopback_callers_are_answered(monkeypatch):
    address = own_address()
    if address is None:
        pytest.skip("this machine has no address but loopback to call from")
    server = serve(monkeypatch, "", OpenSanicThread)
    try:
        assert requests.get(f"{server.base}/actions").status_code == 200
        other = f"http://{address}:{server.port}"
        assert requests.get(f"{other}/actions").status_code == 403
        assert requests.post(f"{other}/webhook", json={}).status_code == 403
        assert requests.get(f"{other}/health").ok
    finally:
        server.stop()
