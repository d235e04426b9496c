"""Every setting of the line, read from the environment in one place.

Other modules import `settings` instead of reading os.environ, so a deployment
is configured by environment alone and tests can override one value.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _int(name: str, default: int) -> int:
    try:
        return int(_env(name, str(default)))
    except ValueError:
        return default


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
    database_url: str = field(default_factory=lambda: _env(
        "DIRECTORY_DB_URL", f"sqlite:///{PROJECT_ROOT / 'var' / 'line.db'}"))
    # Contract file with topics, categories, regions and emergency numbers.
    topics_file: Path = field(default_factory=lambda: Path(_env(
        "LINE_TOPICS_FILE", str(PROJECT_ROOT / "contract" / "topics.yml"))))
    # Folder of the FAQ topic files (examples, answer and title of each topic).
    faq_dir: Path = field(default_factory=lambda: Path(_env(
        "LINE_FAQ_DIR", str(PROJECT_ROOT / "data" / "faq"))))
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
    rasa_token: str = field(default_factory=lambda: _env("RASA_TOKEN", ""))
    # Seconds a database call may take before the action gives up kindly.
    db_timeout_seconds: float = field(default_factory=lambda: _float("LINE_DB_TIMEOUT", 5.0))


def load() -> Settings:
    return Settings()


settings = load()
