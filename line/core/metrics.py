"""The line's Prometheus metrics: every name defined here once, for every process.

Each process counts what it does through the functions below and serves its metrics on
its own port (`serve`, LINE_METRICS_PORT), never on a route the Ingress could expose:
Rasa from channels/metrics.py, the action server from rasa_sdk_plugins/, the gateway and
the console from their main(), the broadcast worker from its own; the privacy sweep, a
short job, pushes its figures once at the end (`push`). The console also reads the
handoff queue and the WhatsApp inbox from the database at each scrape (`watch`).

Nothing that identifies a person or says what they wrote ever becomes a label or a value:
every label takes one of the fixed values listed here, and anything else is counted as
"other", so a caller's mistake shows as "other", never as data.

With several Sanic workers in one container, prometheus_client's multiprocess mode
(PROMETHEUS_MULTIPROC_DIR, read by prometheus_client itself at import) adds up the
workers' files, and the metrics port of the main process serves the sum.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import (
    Any,
    Callable,
    Collection,
    Dict,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Union,
)

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    multiprocess,
    push_to_gateway,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily

from line.core import settings as config
from line.handoff.reasons import REASONS
from line.understanding import names

logger = logging.getLogger(__name__)

OTHER = "other"

# --- Turns (Rasa: stores/turns.py) -----------------------------------------------------

# What the line did in a turn, in this precedence: the emergency number, a person, the
# "¿Quisiste decir…?" question, a service search, an FAQ answer, anything else.
TURN_OUTCOMES = ("emergency", "handoff", "clarify", "search", "faq", OTHER)
CHANNELS = ("rest", "whatsapp", OTHER)
# Custom actions whose run decides the outcome (their NAME in actions/).
HANDOFF_ACTION = "action_handoff"
CLARIFY_ACTION = "action_clarify"
SEARCH_ACTIONS = frozenset({"action_find_services", "action_show_more"})
SEARCH_FORM = "service_search_form"
ANSWER_FAQ_ACTION = "action_answer_faq"
EMERGENCY_RESPONSES = frozenset(
    names.emergency_response(kind) for kind in (*names.DANGER_KINDS, names.GENERAL_DANGER)
)
TURN_SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

TURNS = Counter("line_turns", "Turns Rasa finished, by what the line did", ["outcome", "channel"])
TURN_SECONDS = Histogram(
    "line_turn_seconds",
    "From reading the conversation to saving the finished turn (the lock wait before it "
    "is not included)",
    ["outcome"],
    buckets=TURN_SECONDS_BUCKETS,
)
ACTION_FAILURES = Counter(
    "line_action_failures",
    "Custom action calls that failed or timed out, so a person took over "
    "(components/resilience.py)",
    ["failure"],
)
ACTION_FAILURE_KINDS = ("timeout", "error")

# --- The action server (rasa_sdk_plugins/) ----------------------------------------------

ACTION_RESULTS = ("ok", "rejected", "error")
ACTION_CALLS = Counter(
    "line_action_calls", "Calls the action server answered, by action", ["action", "result"]
)
ACTION_SECONDS = Histogram(
    "line_action_seconds",
    "Time the action server took for a call",
    ["action"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 8.0),
)
_known_actions: frozenset = frozenset()

# --- WhatsApp (gateway, channel, Cloud API client) --------------------------------------

RECEIVERS = ("gateway", "channel")
WEBHOOK_STATUSES = ("200", "400", "401", "403", "413", "503")
MESSAGE_RESULTS = ("stored", "duplicate", "unstored")
NUDGE_RESULTS = ("taken", "refused", "failed")
SEND_KINDS = ("message", "read")
# Delivery reasons of line/whatsapp/cloud.py, grouped; "refused" is any other Graph error.
SEND_RESULTS = (
    "ok",
    "rate_limited",
    "unreachable",
    "server_error",
    "unconfirmed",
    "outside_window",
    "unknown_recipient",
    "contacts_unavailable",
    "refused",
)
RETRY_REASONS = ("rate_limited", "unreachable", "server_error")

WEBHOOKS = Counter(
    "line_whatsapp_webhooks",
    "Meta's webhook calls answered, by HTTP status (200 is the acknowledgement)",
    ["receiver", "status"],
)
ACK_SECONDS = Histogram(
    "line_whatsapp_ack_seconds",
    "From receiving a webhook to answering it",
    ["receiver"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0),
)
MESSAGES = Counter(
    "line_whatsapp_messages",
    "Messages in the webhooks: stored in the inbox, copies dropped, or not stored (database down)",
    ["receiver", "result"],
)
NUDGES = Counter(
    "line_whatsapp_nudges", "The gateway's nudges to Rasa, by what came of them", ["result"]
)
SENDS = Counter(
    "line_whatsapp_sends",
    "Messages and read receipts sent to the Cloud API, by final result",
    ["kind", "result"],
)
SEND_RETRIES = Counter(
    "line_whatsapp_send_retries", "Sends tried again (Graph surely did not take them)", ["reason"]
)
TAKEN = Counter("line_whatsapp_taken", "Inbox messages a Rasa instance took to handle")
REPLAYS = Counter(
    "line_whatsapp_replays", "Inbox messages handled again after an attempt that did not end"
)
LEASE_LOST = Counter(
    "line_whatsapp_lease_lost",
    "Inbox messages not answered here because another instance had taken them meanwhile",
)
TURN_FAILURES = Counter(
    "line_whatsapp_turn_failures", "WhatsApp turns that raised (the message is tried again)"
)
GIVEN_UP = Counter(
    "line_whatsapp_given_up", "WhatsApp messages that failed every attempt: a person took over"
)
IN_FLIGHT = Gauge(
    "line_whatsapp_in_flight",
    "Inbox messages this instance is handling now",
    multiprocess_mode="livesum",
)

# --- Handoff tickets ---------------------------------------------------------------------

KEPT_IN = ("database", "spool")
TICKETS = Counter(
    "line_handoff_tickets",
    "Handoffs written, by reason and where they were kept (the spool while the database is down)",
    ["reason", "kept"],
)
TICKET_STATUSES = ("waiting", "claimed")

# --- Errors of the services the line stands on ------------------------------------------

DATABASES = ("line", "tracker")
BROKER_ERRORS = ("unreachable", "publish", "dropped")
DATABASE_ERRORS = Counter(
    "line_database_errors",
    "Database calls that failed because the database could not be reached",
    ["database"],
)
BROKER_ERROR_COUNT = Counter(
    "line_broker_errors",
    "RabbitMQ failures: not reachable, an event kept for later, an event dropped",
    ["error"],
)
BROKER_WAITING = Gauge(
    "line_broker_waiting_events",
    "Events kept in memory until RabbitMQ takes them",
    multiprocess_mode="livesum",
)
LOCK_FALLBACKS = Counter(
    "line_lock_store_fallbacks",
    "Turns locked in their instance only because Redis could not be reached",
)

# --- The broadcast worker (line.alerts.worker) -------------------------------------------

BROADCAST_STATES = ("started", "finished", "cancelled", "failed")
BROADCAST_RESULTS = ("sent", "failed", "skipped")
BROADCASTS = Counter("line_broadcasts", "Broadcasts, by what happened to them", ["state"])
BROADCAST_MESSAGES = Counter("line_broadcast_messages", "Broadcast messages, by result", ["result"])
BROADCAST_PENDING = Gauge(
    "line_broadcast_pending_messages",
    "Messages of the broadcasts in progress still to send",
    multiprocess_mode="livesum",
)
BROADCAST_PROGRESS = Gauge(
    "line_broadcast_last_progress_timestamp_seconds",
    "When the worker last sent or finished something (a stalled worker stops moving it)",
    multiprocess_mode="max",
)

# --- The privacy sweep (line.privacy.sweep) ----------------------------------------------

# What a sweep deletes: the kinds of record of the data inventory.
SWEEP_KINDS = (
    "conversations",
    "tickets",
    "operator_messages",
    "whatsapp_contacts",
    "whatsapp_inbox",
    "feedback",
    "ratings",
    "accounts",
    OTHER,
)
SWEEP_RESULTS = ("ok", "failed")


@dataclass
class SweepFigures:
    """One sweep's results, pushed once at its end (a short job is never scraped)."""

    result: str
    seconds: float
    deleted: Mapping[str, int] = field(default_factory=dict)


def _label(value: object, allowed: Collection[str]) -> str:
    text = str(value) if value is not None else ""
    return text if text in allowed else OTHER


# --- What the code calls -----------------------------------------------------------------


def turn_outcome(events: Sequence[Mapping]) -> str:
    """What the line did in one turn (Rasa's event dictionaries, from the person's message
    to the end), in the precedence of TURN_OUTCOMES."""
    actions = {e.get("name") for e in events if e.get("event") == "action"}
    utters = {
        (e.get("metadata") or {}).get("utter_action") for e in events if e.get("event") == "bot"
    }
    loops = {e.get("name") for e in events if e.get("event") == "active_loop"}
    if utters & EMERGENCY_RESPONSES:
        return "emergency"
    if HANDOFF_ACTION in actions or any(e.get("event") == "pause" for e in events):
        return "handoff"
    if CLARIFY_ACTION in actions:
        return "clarify"
    if actions & SEARCH_ACTIONS or SEARCH_FORM in loops:
        return "search"
    if ANSWER_FAQ_ACTION in actions or any(names.faq_topic_of(u) for u in utters):
        return "faq"
    return OTHER


def turn_finished(outcome: str, channel: Optional[str], seconds: Optional[float]) -> None:
    outcome = _label(outcome, TURN_OUTCOMES)
    TURNS.labels(outcome, _label(channel, CHANNELS)).inc()
    if seconds is not None:
        TURN_SECONDS.labels(outcome).observe(seconds)


def action_failed(timed_out: bool) -> None:
    ACTION_FAILURES.labels("timeout" if timed_out else "error").inc()


def action_names(entries: Iterable[Union[str, Dict[str, Any]]]) -> List[str]:
    """The names in a domain's `actions`, where an entry is a name or a name with its
    settings (`send_domain`)."""
    return [name for entry in entries for name in ([entry] if isinstance(entry, str) else entry)]


def know_actions(entries: Iterable[Union[str, Dict[str, Any]]]) -> None:
    """The domain's actions: the only names an action label takes."""
    global _known_actions
    _known_actions = frozenset(action_names(entries))


def action_called(action: Optional[str], status: int, seconds: float) -> None:
    """One call of the action server; 400 is a rejection (forms rely on it)."""
    name = _label(action, _known_actions)
    result = "ok" if status < 300 else "rejected" if status == 400 else "error"
    ACTION_CALLS.labels(name, result).inc()
    ACTION_SECONDS.labels(name).observe(seconds)


def webhook_answered(receiver: str, status: int, seconds: float) -> None:
    receiver = _label(receiver, RECEIVERS)
    WEBHOOKS.labels(receiver, _label(status, WEBHOOK_STATUSES)).inc()
    if status == 200:
        ACK_SECONDS.labels(receiver).observe(seconds)


def message_received(receiver: str, result: str) -> None:
    MESSAGES.labels(_label(receiver, RECEIVERS), _label(result, MESSAGE_RESULTS)).inc()


def nudged(result: str) -> None:
    NUDGES.labels(_label(result, NUDGE_RESULTS)).inc()


def send_result(reason: Optional[str]) -> str:
    """A Delivery's reason (line/whatsapp/cloud.py) as one of SEND_RESULTS: Graph's codes
    and exception names stay in the logs."""
    if reason is None:
        return "ok"
    if reason.startswith("graph_5"):
        return "server_error"
    if reason.startswith("unconfirmed_"):
        return "unconfirmed"
    if reason == "outside_24h_window":
        return "outside_window"
    return reason if reason in SEND_RESULTS else "refused"


def sent(kind: str, reason: Optional[str]) -> None:
    """The final result of one send (reason None: delivered to Graph)."""
    SENDS.labels(_label(kind, SEND_KINDS), send_result(reason)).inc()


def send_retried(reason: Optional[str]) -> None:
    SEND_RETRIES.labels(_label(send_result(reason), RETRY_REASONS)).inc()


def inbox_taken(count: int, replayed: int) -> None:
    TAKEN.inc(count)
    REPLAYS.inc(replayed)


def lease_lost() -> None:
    LEASE_LOST.inc()


def whatsapp_turn_failed() -> None:
    TURN_FAILURES.inc()


def whatsapp_given_up() -> None:
    GIVEN_UP.inc()


def ticket_kept(reason: str, spooled: bool) -> None:
    TICKETS.labels(_label(reason, REASONS), "spool" if spooled else "database").inc()


def database_error(database: str = "line") -> None:
    DATABASE_ERRORS.labels(_label(database, DATABASES)).inc()


def broker_error(error: str) -> None:
    BROKER_ERROR_COUNT.labels(_label(error, BROKER_ERRORS)).inc()


def broker_waiting(events: int) -> None:
    BROKER_WAITING.set(events)


def in_flight(messages: int) -> None:
    IN_FLIGHT.set(messages)


def lock_fallback() -> None:
    LOCK_FALLBACKS.inc()


def broadcast(state: str) -> None:
    BROADCASTS.labels(_label(state, BROADCAST_STATES)).inc()
    BROADCAST_PROGRESS.set(time.time())


def broadcast_message(result: str) -> None:
    """One recipient done."""
    BROADCAST_MESSAGES.labels(_label(result, BROADCAST_RESULTS)).inc()
    BROADCAST_PROGRESS.set(time.time())


def broadcast_pending(count: int) -> None:
    """Messages of the broadcasts in progress still to send, read after each batch."""
    BROADCAST_PENDING.set(count)


def sweep_registry(figures: SweepFigures, now: Optional[float] = None) -> CollectorRegistry:
    """A sweep's figures as the registry `push` sends (the Pushgateway keeps the last)."""
    registry = CollectorRegistry()
    result = _label(figures.result, SWEEP_RESULTS)
    Gauge(
        "line_sweep_last_run_timestamp_seconds",
        "When the last sweep ended",
        ["result"],
        registry=registry,
    ).labels(result).set(now if now is not None else time.time())
    Gauge("line_sweep_seconds", "How long the last sweep took", registry=registry).set(
        figures.seconds
    )
    deleted = Gauge(
        "line_sweep_deleted_records",
        "Records the last sweep deleted, by kind of record",
        ["kind"],
        registry=registry,
    )
    for kind in SWEEP_KINDS:
        deleted.labels(kind).set(0)
    for kind, count in figures.deleted.items():
        deleted.labels(_label(kind, SWEEP_KINDS)).inc(count)
    return registry


def push(job: str, registry: CollectorRegistry) -> bool:
    """Send a short job's figures to the Pushgateway (LINE_METRICS_PUSHGATEWAY), if there
    is one; a failure is logged and never fails the job."""
    gateway = config.settings.metrics_pushgateway
    if not gateway:
        return False
    try:
        push_to_gateway(gateway, job=job, registry=registry, timeout=10)
    except OSError as exc:
        logger.error("metrics not pushed to %s: %s", gateway, type(exc).__name__)
        return False
    return True


# --- The database at each scrape (the console) -------------------------------------------


@dataclass(frozen=True)
class Backlog:
    """What waits, read from the database: tickets by reason and status, the oldest
    waiting ticket of each reason (seconds), the WhatsApp inbox, and operator hours."""

    tickets: Mapping[tuple[str, str], int]
    oldest_wait: Mapping[str, float]
    inbox_waiting: int
    inbox_oldest: float
    on_duty: bool


class BacklogCollector:
    """Reads the backlog at each scrape; a database that does not answer shows as
    line_backlog_up 0 (and a database error), never as a failed scrape."""

    def __init__(self, read: Callable[[], Backlog]) -> None:
        self.read = read

    def collect(self):
        up = GaugeMetricFamily(
            "line_backlog_up", "Whether the database answered this scrape's backlog query"
        )
        try:
            backlog = self.read()
        except Exception as exc:  # a scrape must never fail
            logger.error("backlog for the metrics unavailable: %s", type(exc).__name__)
            database_error("line")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        queued = GaugeMetricFamily(
            "line_handoff_queue_tickets",
            "Open tickets, by reason and status",
            labels=["reason", "status"],
        )
        for reason in REASONS:
            for status in TICKET_STATUSES:
                queued.add_metric([reason, status], backlog.tickets.get((reason, status), 0))
        yield queued
        oldest = GaugeMetricFamily(
            "line_handoff_oldest_wait_seconds",
            "How long the oldest waiting ticket of each reason has waited (0: none waits)",
            labels=["reason"],
        )
        for reason in REASONS:
            oldest.add_metric([reason], backlog.oldest_wait.get(reason, 0.0))
        yield oldest
        yield GaugeMetricFamily(
            "line_whatsapp_inbox_waiting",
            "WhatsApp messages stored and not yet answered",
            value=backlog.inbox_waiting,
        )
        yield GaugeMetricFamily(
            "line_whatsapp_inbox_oldest_seconds",
            "Age of the oldest WhatsApp message not yet answered (0: none)",
            value=backlog.inbox_oldest,
        )
        yield GaugeMetricFamily(
            "line_operators_on_duty",
            "1 within operator hours (LINE_OPERATOR_*), else 0",
            value=1 if backlog.on_duty else 0,
        )


_extra: list = []


def watch(read: Callable[[], Backlog]) -> None:
    """Read the backlog at each scrape of this process."""
    collector = BacklogCollector(read)
    _extra.append(collector)
    if not config.settings.metrics_multiprocess_dir:
        REGISTRY.register(collector)


# --- Serving -----------------------------------------------------------------------------

_serving_lock = threading.Lock()
_served: Optional[int] = None


def exposition_registry():
    """What the metrics port shows: this process, or with PROMETHEUS_MULTIPROC_DIR the sum
    of every worker's files (and what this process reads at each scrape)."""
    if not config.settings.metrics_multiprocess_dir:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    for collector in _extra:
        registry.register(collector)
    return registry


def serve(port: Optional[int] = None) -> Optional[int]:
    """Serve this process's metrics on `port` (LINE_METRICS_PORT; 0: none), once per
    process, from a thread. Returns the port, or None when there is none."""
    global _served
    s = config.settings
    port = s.metrics_port if port is None else port
    if not port:
        return None
    with _serving_lock:
        if _served is None:
            start_http_server(port, addr=s.metrics_host, registry=exposition_registry())
            _served = port
            logger.info("metrics on %s:%d/metrics", s.metrics_host, port)
        return _served


def forget_stale_workers() -> None:
    """Before the workers start: files of processes that are gone (a restarted
    container keeps its volume) would be added to the new ones' figures."""
    directory = config.settings.metrics_multiprocess_dir
    if not directory:
        return
    mine = f"_{os.getpid()}.db"
    for path in Path(directory).glob("*.db"):
        if not path.name.endswith(mine):
            path.unlink(missing_ok=True)


def worker_stopped() -> None:
    """A worker's live gauges (in flight, waiting events) stop counting when it ends."""
    if config.settings.metrics_multiprocess_dir:
        multiprocess.mark_process_dead(os.getpid())
