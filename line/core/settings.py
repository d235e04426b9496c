"""Every setting of the line, read from the environment in one place.

Other modules import `settings` instead of reading os.environ, so a deployment
is configured by environment alone and tests can override one value.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _int(name: str, default: int) -> int:
    try:
        return int(_env(name, str(default)))
    except ValueError:
        return default


def _bool(name: str, default: bool) -> bool:
    return _env(name, str(default)).lower() in ("1", "true", "yes", "on")


def _bind() -> str:
    """Where the line's servers listen unless told otherwise: this machine only."""
    return _env("LINE_BIND", "127.0.0.1")


def _float(name: str, default: float) -> float:
    try:
        return float(_env(name, str(default)))
    except ValueError:
        return default


@dataclass(frozen=True)
class Settings:
    """A snapshot of the environment; `load()` builds a fresh one."""

    # The line's own database: directory, tickets, feedback. SQLite is the
    # embedded default; a PostgreSQL URL switches to production.
    database_url: str = field(
        default_factory=lambda: _env(
            "DIRECTORY_DB_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'line.db'}"
        )
    )
    # Rasa's SQL tracker store (endpoints.yml), read by reports and feedback coding.
    tracker_db_url: str = field(
        default_factory=lambda: _env(
            "TRACKER_DB_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'tracker.db'}"
        )
    )
    # Contract file with topics, categories, regions and emergency numbers.
    topics_file: Path = field(
        default_factory=lambda: Path(
            _env("LINE_TOPICS_FILE", str(PROJECT_ROOT / "contract" / "topics.yml"))
        )
    )
    # Contract file with the rumour topics (answered like FAQ topics, ids as stable).
    rumours_file: Path = field(
        default_factory=lambda: Path(
            _env("LINE_RUMOURS_FILE", str(PROJECT_ROOT / "contract" / "rumours.yml"))
        )
    )
    # Folder of the FAQ topic files (examples, answer and title of each topic).
    faq_dir: Path = field(
        default_factory=lambda: Path(_env("LINE_FAQ_DIR", str(PROJECT_ROOT / "data" / "faq")))
    )
    # The checkout whose content files the console's topic editor writes (data/faq,
    # contract/, domain.yml) and, when it is a git checkout, commits to; the training job
    # trains and tests what is there (config.yml, data/, tests/nlu, tests/test_stories.yml).
    # This one unless set.
    content_root: Path = field(
        default_factory=lambda: Path(_env("LINE_CONTENT_ROOT", str(PROJECT_ROOT)))
    )
    # Operator hours in local time; Peru is UTC-5 all year (no daylight saving).
    utc_offset_hours: int = field(default_factory=lambda: _int("LINE_UTC_OFFSET", -5))
    operator_days: str = field(default_factory=lambda: _env("LINE_OPERATOR_DAYS", "0-5"))
    operator_open_hour: int = field(default_factory=lambda: _int("LINE_OPERATOR_OPEN", 8))
    operator_close_hour: int = field(default_factory=lambda: _int("LINE_OPERATOR_CLOSE", 20))
    # How many recent messages a handoff ticket keeps as context.
    handoff_context_messages: int = field(default_factory=lambda: _int("LINE_HANDOFF_CONTEXT", 10))
    # Results shown per directory message.
    directory_page_size: int = field(default_factory=lambda: _int("LINE_DIRECTORY_PAGE", 3))
    # The Rasa server, for tools that read trackers or resume conversations.
    rasa_url: str = field(default_factory=lambda: _env("RASA_URL", "http://localhost:5005"))
    # The Rasa HTTP API's --auth-token. Empty: the one `make run` wrote for this run
    # into rasa_token_file (line/core/access.py), so tools started beside it can call.
    rasa_token: str = field(default_factory=lambda: _env("RASA_TOKEN", ""))
    rasa_token_file: Path = field(
        default_factory=lambda: Path(
            _env("RASA_TOKEN_FILE", str(PROJECT_ROOT / "var" / "rasa-token"))
        )
    )
    # The address `make run` binds Rasa, the action server, the console and the gateway
    # to (the last two also read it themselves). 0.0.0.0 opens them to the network.
    bind_host: str = field(default_factory=_bind)
    # The secret Rasa sends the action server in a header (endpoints.production.yml).
    # Empty: the action server answers loopback callers only.
    action_server_token: str = field(default_factory=lambda: _env("ACTION_SERVER_TOKEN", ""))
    # Seconds a database call may take before the action gives up kindly.
    db_timeout_seconds: float = field(default_factory=lambda: _float("LINE_DB_TIMEOUT", 5.0))
    # Seconds Rasa waits for a custom action before the person is told kindly and a
    # person takes over (components/resilience.py); Rasa's own wait is 5 minutes.
    action_timeout_seconds: float = field(
        default_factory=lambda: _float("ACTION_TIMEOUT_SECONDS", 8.0)
    )
    # Tickets that could not be written while the database was down wait in this
    # file, retried every LINE_TICKET_RETRY seconds (line/handoff/spool.py).
    ticket_spool_file: Path = field(
        default_factory=lambda: Path(
            _env("LINE_TICKET_SPOOL", str(PROJECT_ROOT / "var" / "pending_tickets.jsonl"))
        )
    )
    ticket_retry_seconds: float = field(default_factory=lambda: _float("LINE_TICKET_RETRY", 30.0))
    # Rasa's production stores (stores/, docs/failures.md). How long a tracker store call
    # retries PostgreSQL before the turn goes on without it, kept in the journal file
    # (shared by the Rasa instances of one host) and offered to PostgreSQL this often.
    tracker_store_retry_seconds: float = field(
        default_factory=lambda: _float("TRACKER_STORE_RETRY_SECONDS", 5.0)
    )
    tracker_journal: Path = field(
        default_factory=lambda: Path(
            _env("TRACKER_JOURNAL", str(PROJECT_ROOT / "var" / "journal" / "tracker.db"))
        )
    )
    # How long the lock store retries Redis before locking in this instance only, and
    # how long one Redis call may take.
    lock_store_retry_seconds: float = field(
        default_factory=lambda: _float("LOCK_STORE_RETRY_SECONDS", 1.0)
    )
    lock_store_timeout_seconds: float = field(
        default_factory=lambda: _float("LOCK_STORE_TIMEOUT", 2.0)
    )
    # Seconds between attempts to reach RabbitMQ, and how many events wait in memory
    # meanwhile (beyond that the oldest are dropped, and logged).
    broker_retry_seconds: float = field(default_factory=lambda: _float("BROKER_RETRY_SECONDS", 5.0))
    broker_buffer_events: int = field(default_factory=lambda: _int("BROKER_BUFFER_EVENTS", 100_000))
    # The domain whose responses channels send outside a Rasa turn (docs/whatsapp.md).
    domain_file: Path = field(
        default_factory=lambda: Path(_env("LINE_DOMAIN_FILE", str(PROJECT_ROOT / "domain.yml")))
    )
    # Keyed pseudonyms of phone numbers (line/core/pseudonyms.py). Changing it splits every
    # conversation history, so it is set once per deployment and kept secret.
    pseudonym_secret: str = field(default_factory=lambda: _env("PSEUDONYM_SECRET", ""))
    # Seconds after a confirmed "borrar mis datos" before the conversation itself is
    # deleted: time for the turn to be saved and the confirmation to reach the phone.
    erasure_grace_seconds: float = field(default_factory=lambda: _float("LINE_ERASURE_GRACE", 30.0))
    # Shared by several Rasa instances for webhook de-duplication; empty = the database.
    redis_url: str = field(default_factory=lambda: _env("REDIS_URL", ""))
    # WhatsApp Cloud API (docs/whatsapp.md). Left empty, the channel refuses every call.
    whatsapp_verify_token: str = field(default_factory=lambda: _env("WHATSAPP_VERIFY_TOKEN", ""))
    whatsapp_app_secret: str = field(default_factory=lambda: _env("WHATSAPP_APP_SECRET", ""))
    whatsapp_access_token: str = field(default_factory=lambda: _env("WHATSAPP_ACCESS_TOKEN", ""))
    whatsapp_phone_number_id: str = field(
        default_factory=lambda: _env("WHATSAPP_PHONE_NUMBER_ID", "")
    )
    whatsapp_api_url: str = field(
        default_factory=lambda: _env("WHATSAPP_API_URL", "https://graph.facebook.com/v20.0")
    )
    # Seconds one Graph API call may take, and how many tries a send gets.
    whatsapp_timeout_seconds: float = field(
        default_factory=lambda: _float("WHATSAPP_TIMEOUT", 10.0)
    )
    whatsapp_send_attempts: int = field(default_factory=lambda: _int("WHATSAPP_SEND_ATTEMPTS", 4))
    # Meta's webhook bodies stay far below this; anything larger is refused unread.
    whatsapp_max_body_bytes: int = field(
        default_factory=lambda: _int("WHATSAPP_MAX_BODY_BYTES", 1024 * 1024)
    )
    # How long message ids are remembered against redelivery (Meta retries for days
    # when the line was down, so never less than 48).
    whatsapp_dedup_hours: int = field(
        default_factory=lambda: max(48, _int("WHATSAPP_DEDUP_HOURS", 48))
    )
    # How long "reply with the number" works after a list of options was sent.
    whatsapp_options_minutes: int = field(
        default_factory=lambda: _int("WHATSAPP_OPTIONS_MINUTES", 60)
    )
    # A WhatsApp message not finished this many seconds after it arrived is handled
    # again (its Rasa instance died mid-turn): keep it above the longest turn.
    whatsapp_replay_seconds: float = field(
        default_factory=lambda: _float("WHATSAPP_REPLAY_SECONDS", 60.0)
    )
    # The WhatsApp gateway (line/whatsapp/gateway.py): a small process that stores
    # and acknowledges webhooks, then nudges a Rasa instance to handle its inbox now.
    whatsapp_gateway_host: str = field(
        default_factory=lambda: _env("WHATSAPP_GATEWAY_HOST", _bind())
    )
    whatsapp_gateway_port: int = field(default_factory=lambda: _int("WHATSAPP_GATEWAY_PORT", 5007))
    # The Rasa instances the gateway nudges, comma-separated, taken in turn; directly,
    # never through a proxy that sends /webhooks/whatsapp/ back to the gateway.
    whatsapp_rasa_urls: tuple = field(
        default_factory=lambda: tuple(
            url.strip().rstrip("/")
            for url in _env("WHATSAPP_RASA_URLS", _env("RASA_URL", "http://localhost:5005")).split(
                ","
            )
            if url.strip()
        )
    )
    # Shared by the gateway and Rasa's channel: guards POST /webhooks/whatsapp/inbox.
    # Empty: no nudges, the gateway's messages wait for the replay above.
    whatsapp_inbox_token: str = field(default_factory=lambda: _env("WHATSAPP_INBOX_TOKEN", ""))
    # Seconds the gateway waits for a Rasa instance to take a nudge (or a forwarded body).
    whatsapp_nudge_timeout_seconds: float = field(
        default_factory=lambda: _float("WHATSAPP_NUDGE_TIMEOUT", 2.0)
    )
    # Voice notes, photos and files people send (line/media/, docs/whatsapp.md "Media").
    # MEDIA_KEY encrypts them at rest: 32 random bytes in URL-safe base64. Empty: a key
    # is created once in MEDIA_KEY_FILE (fine for `make run`; set MEDIA_KEY in production,
    # the same in Rasa and the console, and keep it off the database's volume).
    media_key: str = field(default_factory=lambda: _env("MEDIA_KEY", ""))
    media_key_file: Path = field(
        default_factory=lambda: Path(
            _env("MEDIA_KEY_FILE", str(PROJECT_ROOT / "var" / "media_key"))
        )
    )
    # The largest file kept (WhatsApp itself allows 16 MB for audio and images).
    media_max_bytes: int = field(default_factory=lambda: _int("MEDIA_MAX_BYTES", 16 * 1024 * 1024))
    # Hosts the Graph API may send media from, besides its own (Meta's CDN), comma-separated.
    whatsapp_media_hosts: tuple = field(
        default_factory=lambda: tuple(
            host.strip().lower()
            for host in _env("WHATSAPP_MEDIA_HOSTS", "lookaside.fbsbx.com").split(",")
            if host.strip()
        )
    )
    # The privacy sweep (line/privacy/sweep.py, issue #14): a conversation is anonymized
    # this many minutes after its last message, unless a ticket of it is open; what is kept
    # about a person (conversations, contacts, ratings, closed tickets' copies, media) is
    # deleted this many days on. "Borrar mis datos" deletes at once.
    privacy_anonymize_after_minutes: int = field(
        default_factory=lambda: _int("PRIVACY_ANONYMIZE_AFTER_MINUTES", 60)
    )
    privacy_delete_after_days: int = field(
        default_factory=lambda: _int("PRIVACY_DELETE_AFTER_DAYS", 180)
    )
    # A local speech model the deployer installed (faster-whisper or Vosk): voice notes are
    # then transcribed in the background. Empty: no transcription.
    asr_model_dir: str = field(default_factory=lambda: _env("ASR_MODEL_DIR", ""))
    # How many inbox messages one Rasa instance handles at once: a nudged instance takes
    # no more than it has room for, so the others get the rest and nothing waits long
    # enough in one instance to be replayed by another (docs/scale.md).
    whatsapp_max_in_flight: int = field(
        default_factory=lambda: max(1, _int("WHATSAPP_MAX_IN_FLIGHT", 16))
    )
    # Prometheus metrics (line/core/metrics.py): the port each process serves them on
    # (0: none; make run gives each process its own, Kubernetes 9100 to every pod), the
    # address it listens on, the Pushgateway short jobs push to (empty: none), and the
    # folder of prometheus_client's multiprocess mode (read by prometheus_client itself
    # too), needed when a Rasa container runs several Sanic workers (SANIC_WORKERS).
    metrics_port: int = field(default_factory=lambda: _int("LINE_METRICS_PORT", 0))
    metrics_host: str = field(default_factory=lambda: _env("LINE_METRICS_HOST", "127.0.0.1"))
    metrics_pushgateway: str = field(default_factory=lambda: _env("LINE_METRICS_PUSHGATEWAY", ""))
    metrics_multiprocess_dir: str = field(
        default_factory=lambda: _env("PROMETHEUS_MULTIPROC_DIR", "")
    )
    sanic_workers: int = field(default_factory=lambda: _int("SANIC_WORKERS", 1))
    # The model Rasa serves (`make run --model`), the training job's own folder (the
    # candidate, the previous model, each run's test results) and how long the job's lease
    # lasts without a sign of life before another start may take over (line/training/).
    served_model: Path = field(
        default_factory=lambda: Path(
            _env("LINE_MODEL", str(PROJECT_ROOT / "models" / "line.tar.gz"))
        )
    )
    training_dir: Path = field(
        default_factory=lambda: Path(
            _env("LINE_TRAINING_DIR", str(PROJECT_ROOT / "var" / "training"))
        )
    )
    training_lease_seconds: int = field(default_factory=lambda: _int("LINE_TRAINING_LEASE", 300))
    # Seconds one Rasa instance may take to load a model sent with PUT /model.
    model_load_timeout_seconds: float = field(
        default_factory=lambda: _float("LINE_MODEL_LOAD_TIMEOUT", 300.0)
    )
    # Seconds the console waits for the Rasa HTTP API before telling the operator.
    rasa_timeout_seconds: float = field(default_factory=lambda: _float("RASA_TIMEOUT", 5.0))
    # Operator console. Listen on all interfaces only behind a TLS proxy.
    console_host: str = field(default_factory=lambda: _env("CONSOLE_HOST", _bind()))
    console_port: int = field(default_factory=lambda: _int("CONSOLE_PORT", 5006))
    # Signs the CSRF tokens. Empty: a random secret is kept in console_secret_file,
    # so open forms survive a restart without anyone configuring anything.
    console_secret: str = field(default_factory=lambda: _env("CONSOLE_SECRET", ""))
    console_secret_file: Path = field(
        default_factory=lambda: Path(
            _env("CONSOLE_SECRET_FILE", str(PROJECT_ROOT / "var" / "console_secret"))
        )
    )
    # Session cookie: Secure must be on when the console is served over HTTPS.
    console_cookie_name: str = field(default_factory=lambda: _env("CONSOLE_COOKIE", "consola"))
    console_cookie_secure: bool = field(
        default_factory=lambda: _bool("CONSOLE_COOKIE_SECURE", False)
    )
    # A session ends after this much inactivity, and in any case after the maximum.
    console_idle_minutes: int = field(default_factory=lambda: _int("CONSOLE_IDLE_MINUTES", 120))
    console_session_hours: int = field(default_factory=lambda: _int("CONSOLE_SESSION_HOURS", 12))
    # Failed logins, each within the lock time of the one before, that lock an account
    # name (known or not, so a lock says nothing of which accounts exist) or an address
    # (higher: a whole office may share one) for the lock time.
    console_login_failures: int = field(default_factory=lambda: _int("CONSOLE_LOGIN_FAILURES", 10))
    console_address_failures: int = field(
        default_factory=lambda: _int("CONSOLE_ADDRESS_FAILURES", 30)
    )
    console_lock_minutes: int = field(default_factory=lambda: _int("CONSOLE_LOCK_MINUTES", 15))
    # Opt-in alerts over WhatsApp templates (line/alerts/, docs/alerts.md): the register of
    # approved templates, messages a second the sender drains at most (Cloud API allows 80),
    # how many it has in flight at once, the number's messaging tier (people a day: 250,
    # 1000, 10000 or 100000), the quiet hours in local time (nothing from start to end),
    # the share of failures in a window of sends that stops a broadcast, the seconds a
    # sender holds what it claimed, and how often an idle sender looks for work.
    alerts_templates_file: Path = field(
        default_factory=lambda: Path(
            _env("ALERTS_TEMPLATES_FILE", str(PROJECT_ROOT / "contract" / "templates.yml"))
        )
    )
    alerts_rate_per_second: float = field(default_factory=lambda: _float("ALERTS_RATE", 20.0))
    alerts_concurrency: int = field(default_factory=lambda: max(1, _int("ALERTS_CONCURRENCY", 8)))
    alerts_daily_cap: int = field(default_factory=lambda: _int("ALERTS_TIER", 250))
    alerts_quiet_start_hour: int = field(default_factory=lambda: _int("ALERTS_QUIET_START", 21))
    alerts_quiet_end_hour: int = field(default_factory=lambda: _int("ALERTS_QUIET_END", 8))
    alerts_failure_share: float = field(
        default_factory=lambda: _float("ALERTS_FAILURE_SHARE", 0.05)
    )
    alerts_failure_window: int = field(default_factory=lambda: _int("ALERTS_FAILURE_WINDOW", 500))
    alerts_lease_seconds: float = field(default_factory=lambda: _float("ALERTS_LEASE", 60.0))
    alerts_poll_seconds: float = field(default_factory=lambda: _float("ALERTS_POLL", 5.0))


def load() -> Settings:
    return Settings()


def child_environment(importable: Path, **overrides: str) -> dict:
    """This process's environment for a command it starts, with `importable` first on
    PYTHONPATH: the one place besides the settings that reads os.environ."""
    path = os.pathsep.join(p for p in (str(importable), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path, **overrides}


settings = load()
