"""rasa_sdk_plugins: the action server counts and times each call by action (only the
domain's names), and opens its metrics port in its main process; a call about a person
who gave every identifier leaves none of them in the metrics."""

import requests
import yaml
from prometheus_client import REGISTRY, generate_latest
from rasa_sdk.endpoint import create_app

from line.core import metrics
from rasa_sdk_plugins import ActionServerMetrics
from tests.support.metrics import IDENTIFYING_MESSAGES, ROOT, assert_clean, secrets_of
from tests.support.whatsapp import SanicThread

PERSON = "wa-9f8e7d6c"


def value(name, **labels):
    return REGISTRY.get_sample_value(name, labels) or 0.0


def call(action: str, text: str) -> dict:
    user = {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "intent": {"name": "request_human", "confidence": 0.9}},
        "input_channel": "whatsapp",
    }
    tracker = {
        "sender_id": PERSON,
        "slots": {},
        "latest_message": user["parse_data"],
        "events": [{"event": "user", "text": t} for t in IDENTIFYING_MESSAGES] + [user],
        "paused": False,
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return {"next_action": action, "sender_id": PERSON, "tracker": tracker, "domain": domain}


def test_calls_are_counted_by_action_and_name_no_one(line_settings, monkeypatch):
    served = []
    monkeypatch.setattr(metrics, "serve", lambda: served.append(True))
    app = create_app("actions")
    ActionServerMetrics().attach_sanic_app_extensions(app)
    ok = value("line_action_calls_total", action="action_handoff", result="ok")
    unknown = value("line_action_calls_total", action="other", result="error")
    tickets = value("line_handoff_tickets_total", reason="requested", kept="database")
    server = SanicThread(app)
    try:
        url = f"{server.base}/webhook"
        answer = requests.post(url, json=call("action_handoff", IDENTIFYING_MESSAGES[1]))
        assert answer.status_code == 200, answer.text
        stray = requests.post(url, json=call("action_maria_45678912", IDENTIFYING_MESSAGES[0]))
        assert stray.status_code == 404
        assert requests.get(f"{server.base}/health").ok
    finally:
        server.stop()
    assert served == [True]  # the metrics port opens in the main process
    assert value("line_action_calls_total", action="action_handoff", result="ok") == ok + 1
    assert value("line_action_calls_total", action="other", result="error") == unknown + 1
    assert value("line_handoff_tickets_total", reason="requested", kept="database") == tickets + 1
    assert value("line_action_seconds_count", action="action_handoff") >= 1
    assert_clean(generate_latest(REGISTRY).decode(), secrets_of(more=[PERSON]))
