"""Fetching a file from the channel, one attempt at a time, with backoff.

The channel runs `fetch_once` in the background until it returns no `retry_in`; any
instance's replay loop takes rows whose fetcher died (`store.due`). A transient failure
(the channel's API down, an expired link) is tried again after BACKOFF_SECONDS, then
given up: the operator sees the file is unavailable and asks the person to send it
again. A refusal (forged id, foreign link, wrong type, too large) is final at once.
Logged with the row id and the reason, never the content.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Optional, Protocol

from line.core import settings as config
from line.core.db import utc_now
from line.media import kinds, store

logger = logging.getLogger(__name__)

# Seconds before attempts 2, 3, 4 and 5; the fifth failure is final (about 12 minutes).
BACKOFF_SECONDS = (5, 30, 120, 600)
# Longer than one download can take: a row taken by an instance that then died is due
# again after this.
LEASE = timedelta(minutes=5)
TAKEN = "taken"


class Download(Protocol):
    """What a channel gives for a media id (line/whatsapp/cloud.py, MediaDownload)."""

    content: bytes
    mime_type: str
    reason: Optional[str]
    retry: bool

    @property
    def ok(self) -> bool: ...


@dataclass(frozen=True)
class Attempt:
    """The row's state after the attempt (or TAKEN: another fetcher has it), its
    number, the seconds to wait before the next one, if any, and whether a transcript
    is wanted."""

    state: str
    number: int = 0
    retry_in: Optional[float] = None
    reason: Optional[str] = None
    transcribe: bool = False


def fetch_once(
    media_id: int, download: Callable[[str, int], Download], after: Optional[int] = None
) -> Attempt:
    """One attempt; `download(graph_id, max_bytes)` is the channel's. `after`: the
    number of this fetcher's last attempt, when it retries. Blocking."""
    claimed = store.claim(media_id, utc_now() + LEASE, after)
    if claimed is None:
        return Attempt(TAKEN)
    graph_id, declared, attempt = claimed
    max_bytes = config.settings.media_max_bytes
    got = download(graph_id, max_bytes)
    if not got.ok:
        if got.retry and attempt <= len(BACKOFF_SECONDS):
            wait = BACKOFF_SECONDS[attempt - 1]
            store.retry_at(media_id, utc_now() + timedelta(seconds=wait), got.reason)
            logger.warning(
                "media %d not fetched (%s): attempt %d, again in %d s",
                media_id,
                got.reason,
                attempt,
                wait,
            )
            return Attempt(store.PENDING, attempt, wait, got.reason)
        state = store.FAILED if got.retry else store.REFUSED
        store.give_up(media_id, state, got.reason)
        logger.error("media %d %s: %s (attempt %d)", media_id, state, got.reason, attempt)
        return Attempt(state, attempt, reason=got.reason)
    mime_type = kinds.base_type(got.mime_type) or declared
    refusal = kinds.refusal(got.content, mime_type, max_bytes)
    if refusal:
        store.give_up(media_id, store.REFUSED, refusal)
        logger.error("media %d refused: %s (%d bytes)", media_id, refusal, len(got.content))
        return Attempt(store.REFUSED, attempt, reason=refusal)
    transcribe = kinds.SHOWN_AS[mime_type] == "audio" and bool(config.settings.asr_model_dir)
    store.keep(
        media_id,
        got.content,
        mime_type,
        kinds.duration(got.content, mime_type),
        store.TRANSCRIPT_WAITING if transcribe else None,
    )
    logger.info("media %d stored (%s, %d bytes)", media_id, mime_type, len(got.content))
    return Attempt(store.STORED, attempt, transcribe=transcribe)
