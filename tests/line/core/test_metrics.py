"""line/core/metrics.py: what a turn's outcome is, labels that only take fixed values,
the backlog read at each scrape, the sweep's and the broadcast worker's names, the
metrics port, and several worker processes adding up (prometheus_client's multiprocess
mode)."""

import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest
import requests
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from line.core import metrics
from line.core.db import utc_now
from line.handoff import reasons, tickets
from tests.support.metrics import ROOT, assert_clean, scrape, secrets_of
from tests.support.net import free_port


def sample(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def user(text="hola", channel="rest"):
    return {"event": "user", "text": text, "input_channel": channel}


def action(name):
    return {"event": "action", "name": name}


def bot(utter):
    return {"event": "bot", "text": "...", "metadata": {"utter_action": utter}}


@pytest.mark.parametrize(
    "events, outcome",
    [
        (
            [user(), action("action_handoff"), bot("utter_emergency_violence"), {"event": "pause"}],
            "emergency",
        ),
        (
            [user(), action("action_handoff"), bot("utter_handoff_queued"), {"event": "pause"}],
            "handoff",
        ),
        (
            [user(), action("action_answer_faq"), bot("utter_faq/shelter"), {"event": "pause"}],
            "handoff",
        ),  # an abuse report after the FAQ answer reaches a person
        ([user(), action("action_clarify"), bot("utter_clarify")], "clarify"),
        ([user(), action("action_find_services"), bot("utter_services_found")], "search"),
        ([user(), {"event": "active_loop", "name": "service_search_form"}], "search"),
        (
            [user(), action("utter_faq"), bot("utter_faq/covid_testing"), action("action_listen")],
            "faq",
        ),
        ([user(), action("action_answer_faq"), bot("utter_how_can_help")], "faq"),
        ([user(), action("utter_greet"), bot("utter_greet")], "other"),
    ],
)
def test_a_turn_is_told_by_what_the_line_did(events, outcome):
    assert metrics.turn_outcome(events) == outcome


def test_the_actions_the_outcome_reads_are_the_domains():
    from tests.support.metrics import domain_actions

    declared = set(domain_actions())
    assert {
        metrics.HANDOFF_ACTION,
        metrics.CLARIFY_ACTION,
        metrics.ANSWER_FAQ_ACTION,
        *metrics.SEARCH_ACTIONS,
    } <= declared
    assert metrics.SEARCH_FORM in (ROOT / "domain.yml").read_text(encoding="utf-8")
    assert set(metrics.EMERGENCY_RESPONSES) <= set(
        __import__("yaml").safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    )


def test_a_label_takes_only_its_fixed_values():
    before = sample("line_turns_total", outcome="other", channel="other")
    metrics.turn_finished("51987650001", "Maria Gutierrez", 0.2)
    assert sample("line_turns_total", outcome="other", channel="other") == before + 1
    metrics.webhook_answered("gateway", 418, 0.01)
    metrics.message_received("someone else", "stored")
    metrics.ticket_kept("hola soy Maria", spooled=True)
    metrics.know_actions(["action_handoff"])
    metrics.action_called("action_de_maria_45678912", 200, 0.01)
    assert sample("line_action_calls_total", action="other", result="ok") >= 1
    assert sample("line_whatsapp_webhooks_total", receiver="gateway", status="other") >= 1
    assert_clean(generate_latest(REGISTRY).decode(), ["Maria", "45678912", "51987650001"])


@pytest.mark.parametrize(
    "reason, result",
    [
        (None, "ok"),
        ("rate_limited", "rate_limited"),
        ("unreachable", "unreachable"),
        ("graph_503", "server_error"),
        ("unconfirmed_readtimeout", "unconfirmed"),
        ("outside_24h_window", "outside_window"),
        ("graph_error_131026", "refused"),
        ("unknown_recipient", "unknown_recipient"),
        ("contacts_unavailable", "contacts_unavailable"),
    ],
)
def test_graph_codes_and_exception_names_stay_out_of_the_labels(reason, result):
    assert metrics.send_result(reason) == result


def test_the_backlog_is_read_at_each_scrape(whatsapp_db):
    for n, reason in enumerate((reasons.EMERGENCY, reasons.REQUESTED, reasons.REQUESTED)):
        tickets.open_ticket(f"wa-{n}", reason, messages=[("user", f"soy Maria {n}")])
    tickets.claim(tickets.queue()[-1]["id"], "ana")
    counts, oldest = tickets.backlog(utc_now() + timedelta(minutes=6))
    assert counts == {
        (reasons.EMERGENCY, "waiting"): 1,
        (reasons.REQUESTED, "waiting"): 1,
        (reasons.REQUESTED, "claimed"): 1,
    }
    assert 355 < oldest[reasons.EMERGENCY] < 370 and set(oldest) == {
        reasons.EMERGENCY,
        reasons.REQUESTED,
    }
    families = {
        f.name: f
        for f in metrics.BacklogCollector(
            lambda: metrics.Backlog(counts, oldest, 3, 42.0, True)
        ).collect()
    }
    assert families["line_backlog_up"].samples[0].value == 1
    waiting = {
        (s.labels["reason"], s.labels["status"]): s.value
        for s in families["line_handoff_queue_tickets"].samples
    }
    assert waiting[(reasons.EMERGENCY, "waiting")] == 1 and waiting[(reasons.CASE, "waiting")] == 0
    assert {
        s.labels["reason"] for s in families["line_handoff_oldest_wait_seconds"].samples
    } == set(reasons.REASONS)
    assert families["line_whatsapp_inbox_waiting"].samples[0].value == 3
    assert families["line_operators_on_duty"].samples[0].value == 1


def test_a_database_that_does_not_answer_is_a_gauge_not_a_failed_scrape():
    def down():
        raise OSError("connection refused")

    before = sample("line_database_errors_total", database="line")
    families = list(metrics.BacklogCollector(down).collect())
    assert [(f.name, f.samples[0].value) for f in families] == [("line_backlog_up", 0)]
    assert sample("line_database_errors_total", database="line") == before + 1


def test_the_sweep_pushes_its_last_run_and_names_no_record():
    registry = metrics.sweep_registry(
        metrics.SweepFigures("ok", 12.5, {"conversations": 40, "tickets": 3, "Maria 4567": 1}),
        now=1_700_000_000.0,
    )
    text = generate_latest(registry).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    deleted = {s.labels["kind"]: s.value for s in families["line_sweep_deleted_records"].samples}
    assert deleted["conversations"] == 40 and deleted["tickets"] == 3 and deleted["other"] == 1
    assert families["line_sweep_seconds"].samples[0].value == 12.5
    assert "Maria" not in text
    assert metrics.push("line_privacy_sweep", registry) is False  # no Pushgateway set


def test_the_broadcast_worker_counts_its_progress():
    before = sample("line_broadcast_messages_total", result="sent")
    metrics.broadcast("started")
    metrics.broadcast_message("sent")
    metrics.broadcast_pending(9)
    assert sample("line_broadcast_messages_total", result="sent") == before + 1
    assert sample("line_broadcast_pending_messages") == 9
    assert sample("line_broadcast_last_progress_timestamp_seconds") > 1_700_000_000


def test_the_metrics_port_serves_the_process_and_only_once():
    port = metrics.serve(free_port())
    assert metrics.serve(free_port()) == port  # one port per process
    text = scrape(port)
    assert "line_turns_total" in text and "process_resident_memory_bytes" in text
    assert requests.get(f"http://127.0.0.1:{port}/", timeout=5).ok
    assert_clean(text, secrets_of())


WORKER = textwrap.dedent(
    """
    import sys
    from line.core import metrics
    for _ in range(int(sys.argv[1])):
        metrics.turn_finished("faq", "whatsapp", 0.1)
    """
)
READER = textwrap.dedent(
    """
    from prometheus_client import generate_latest
    from line.core import metrics
    print(generate_latest(metrics.exposition_registry()).decode())
    """
)


def test_several_workers_add_up_with_the_multiprocess_directory(tmp_path):
    env = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def run(code, *args):
        return subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    run(WORKER, "3")
    run(WORKER, "4")
    families = {f.name: f for f in text_string_to_metric_families(run(READER))}
    [turns] = [
        s
        for s in families["line_turns"].samples
        if s.name == "line_turns_total" and s.labels == {"outcome": "faq", "channel": "whatsapp"}
    ]
    assert turns.value == 7
    assert len(list(tmp_path.glob("counter_*.db"))) == 3  # a file per process
    forget = "import os; from line.core import metrics; metrics.forget_stale_workers()"
    pid = run(f"{forget}; print(os.getpid())").strip()
    # A restarted container starts from nothing but its own process.
    assert {p.name.rsplit("_", 1)[1] for p in tmp_path.glob("*.db")} == {f"{pid}.db"}


def test_the_domain_names_its_actions_with_or_without_settings():
    entries = ["action_handoff", {"action_clarify": {"send_domain": True}}]
    assert metrics.action_names(entries) == ["action_handoff", "action_clarify"]
