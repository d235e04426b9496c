"""channels/metrics.py: Rasa's server opens the metrics port in its main process, once,
before any worker; several workers without PROMETHEUS_MULTIPROC_DIR are an error said at
start."""

import dataclasses
import logging
import uuid

from rasa.core.channels.channel import register
from sanic import Sanic

from channels.metrics import MetricsInput
from line.core import metrics
from line.core import settings as config
from tests.support.whatsapp import SanicThread


def served_by_rasa(monkeypatch, **settings):
    calls = []
    monkeypatch.setattr(metrics, "serve", lambda: calls.append("serve"))
    monkeypatch.setattr(metrics, "forget_stale_workers", lambda: calls.append("forget"))
    monkeypatch.setattr(metrics, "worker_stopped", lambda: calls.append("stopped"))
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, **settings))
    app = Sanic(f"rasa_{uuid.uuid4().hex[:8]}")
    register([MetricsInput.from_credentials(None)], app, route="/webhooks/")
    server = SanicThread(app)
    server.stop()
    return calls


def test_rasa_opens_the_metrics_port_in_its_main_process(monkeypatch):
    assert served_by_rasa(monkeypatch) == ["forget", "serve", "stopped"]


def test_workers_without_a_multiprocess_directory_are_said_at_start(monkeypatch, caplog):
    with caplog.at_level(logging.ERROR, logger="channels.metrics"):
        served_by_rasa(monkeypatch, sanic_workers=2, metrics_multiprocess_dir="")
    assert "PROMETHEUS_MULTIPROC_DIR" in caplog.text
