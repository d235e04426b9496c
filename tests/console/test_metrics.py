"""The metrics of the console and the gateway as processes (`python -m console`,
`python -m line.whatsapp.gateway` on LINE_METRICS_PORT), and the backlog the console reads
at each scrape: open tickets and the WhatsApp inbox of people who gave every identifier
they had, counted and never named."""

import subprocess
import sys
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from console.app import backlog
from line.core import metrics
from line.core.db import utc_now
from line.handoff import reasons, tickets
from line.whatsapp import store as whatsapp_store
from tests.support.metrics import (
    IDENTIFYING_MESSAGES,
    PHONES,
    ROOT,
    assert_clean,
    scrape,
    secrets_of,
)
from tests.support.net import free_port, wait_until
from tests.support.requirements import fresh_sqlite
from tests.support.servers import environment


def test_the_backlog_counts_tickets_and_messages_and_names_no_one(whatsapp_db):
    people = [f"wa-{phone}" for phone in PHONES]
    for n, text in enumerate(IDENTIFYING_MESSAGES):
        person, phone = people[n % len(people)], PHONES[n % len(PHONES)]
        reason = reasons.EMERGENCY if "pega" in text else reasons.REQUESTED
        tickets.open_ticket(person, reason, messages=[("user", text)], region="La Libertad")
        whatsapp_store.accept(
            person,
            phone,
            f"wamid.{n}",
            utc_now() - timedelta(minutes=2),
            {
                "kind": "text",
                "type": "text",
                "text": text,
                "sent_at": (utc_now() - timedelta(minutes=2)).isoformat(),
            },
            queued=True,
        )
    registry = CollectorRegistry()
    registry.register(metrics.BacklogCollector(backlog))
    text = generate_latest(registry).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert families["line_backlog_up"].samples[0].value == 1
    waiting = {
        (s.labels["reason"], s.labels["status"]): s.value
        for s in families["line_handoff_queue_tickets"].samples
    }
    assert waiting[(reasons.EMERGENCY, "waiting")] == 1
    assert waiting[(reasons.REQUESTED, "waiting")] == len(people) - 1
    assert families["line_whatsapp_inbox_waiting"].samples[0].value == len(IDENTIFYING_MESSAGES)
    assert 110 < families["line_whatsapp_inbox_oldest_seconds"].samples[0].value < 300
    assert_clean(text, secrets_of(more=people + ["La Libertad"]))


def start(module, tmp_path, port, migrated_sqlite, **env):
    url = fresh_sqlite(migrated_sqlite, tmp_path / "line.db")
    process = subprocess.Popen(
        [sys.executable, "-m", module],
        cwd=ROOT,
        env=environment(DIRECTORY_DB_URL=url, LINE_METRICS_PORT=str(port), **env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    return process


@pytest.mark.parametrize(
    "module, settings, expected",
    [
        ("console", {"CONSOLE_PORT": "free"}, "line_backlog_up 1.0"),
        ("line.whatsapp.gateway", {"WHATSAPP_GATEWAY_PORT": "free"}, "line_whatsapp_webhooks"),
    ],
)
def test_each_process_serves_its_metrics_on_its_own_port(
    module, settings, expected, tmp_path, migrated_sqlite
):
    port = free_port()
    env = {name: str(free_port()) for name in settings}
    process = start(module, tmp_path, port, migrated_sqlite, PSEUDONYM_SECRET="s", **env)
    try:

        def scraped():
            try:
                return scrape(port)
            except OSError:
                return None

        text = wait_until(scraped, 60)
        assert text and expected in text, text
        assert_clean(text, secrets_of())
    finally:
        process.terminate()
        process.wait(20)
