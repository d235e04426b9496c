"""The WhatsApp Cloud API without Rasa: reading webhooks, shaping messages, sending.

Plain Python so that the Rasa channel (channels/whatsapp.py) and the operator
console send through the same code, with the same limits, retries and 24-hour
rule. Nothing here logs a phone number, a message id or a message text.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Collection, Optional, Sequence
from urllib.parse import urlsplit

import requests
from sqlalchemy.exc import SQLAlchemyError
from urllib3.exceptions import NewConnectionError

from line.core import metrics
from line.core import settings as config
from line.core.db import DatabaseUnavailable, utc_now
from line.handoff import tickets
from line.handoff.outbound import Delivery
from line.whatsapp import store

logger = logging.getLogger(__name__)

# Limits of the Cloud API, in characters.
TEXT_LIMIT = 4096
BUTTON_BODY_LIMIT = 1024
MAX_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
MAX_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
LIST_BUTTON_LIMIT = 20

MEDIA_TYPES = frozenset({"audio", "voice", "image", "video", "document", "sticker"})
# Longer media ids or MIME types are not Meta's: kept this short, and refused later.
MEDIA_ID_LIMIT = 100
# Media ids are digits; anything else would reach into another Graph path.
MEDIA_ID = re.compile(r"\d{1,40}")
MEDIA_CHUNK_BYTES = 64 * 1024
# A reaction to a message or a note that the person changed number is nothing to answer.
IGNORED_TYPES = frozenset({"reaction", "system"})
# Graph error codes that mean "too many messages, nothing was sent": safe to retry.
THROTTLING_CODES = frozenset({4, 80007, 130429, 131048, 131056, 133016})
# Graph error code for a free-form message after the 24-hour window closed.
REENGAGEMENT_CODE = 131047
MAX_RETRY_AFTER_SECONDS = 30.0


# --- Reading webhooks ---------------------------------------------------------


@dataclass(frozen=True)
class Inbound:
    """One message a person sent. `kind` is what the line does with it:
    text, reply (a button or list choice: `text` is its payload), location,
    media (`text` is the caption, `media_id` the Graph id to fetch it by, `mime_type`
    what the person's phone said it is) or unsupported."""

    message_id: str
    sender: str
    sent_at: datetime
    kind: str
    type: str
    text: str = ""
    latitude: Optional[float] = None
    longitude: Optional[float] = None
    media_id: str = ""
    mime_type: str = ""


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _coordinate(value: Any, limit: float) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) and -limit <= number <= limit else None


def _sent_at(value: Any) -> datetime:
    """Meta's timestamps are epoch seconds as text (sometimes milliseconds); a
    missing, broken or future one counts as now, so a window is never stretched."""
    now = utc_now()
    try:
        seconds = float(value)
        if seconds >= 1e12:
            seconds /= 1000
        sent = datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    return min(sent, now)


def _read_message(message: dict) -> Optional[Inbound]:
    message_id = _text(message.get("id"))
    # A person with a WhatsApp username may come without a number, by user id only.
    sender = _text(message.get("from")) or _text(message.get("from_user_id"))
    kind_of = _text(message.get("type"))
    if not message_id or not sender.strip() or kind_of in IGNORED_TYPES:
        return None
    base = {
        "message_id": message_id,
        "sender": sender,
        "type": kind_of or "unknown",
        "sent_at": _sent_at(message.get("timestamp")),
    }
    if kind_of == "text":
        # A leading "/" would let typed text pose as a button payload (an intent).
        text = _text(_dict(message.get("text")).get("body")).strip().lstrip("/").strip()
        if text:
            return Inbound(kind="text", text=text, **base)
    elif kind_of == "interactive":
        interactive = _dict(message.get("interactive"))
        reply_type = _text(interactive.get("type"))
        if reply_type in ("button_reply", "list_reply"):
            payload = _text(_dict(interactive.get(reply_type)).get("id")).strip()
            if payload:
                return Inbound(kind="reply", text=payload, **base)
    elif kind_of == "button":
        button = _dict(message.get("button"))
        payload = (_text(button.get("payload")) or _text(button.get("text"))).strip()
        if payload:
            return Inbound(kind="reply", text=payload, **base)
    elif kind_of == "location":
        location = _dict(message.get("location"))
        latitude = _coordinate(location.get("latitude"), 90)
        longitude = _coordinate(location.get("longitude"), 180)
        if latitude is not None and longitude is not None:
            return Inbound(kind="location", latitude=latitude, longitude=longitude, **base)
    elif kind_of in MEDIA_TYPES:
        media = _dict(message.get(kind_of))
        return Inbound(
            kind="media",
            text=_text(media.get("caption")).strip(),
            media_id=_text(media.get("id")).strip()[:MEDIA_ID_LIMIT],
            mime_type=_text(media.get("mime_type")).strip().lower()[:MEDIA_ID_LIMIT],
            **base,
        )
    return Inbound(kind="unsupported", **base)


def _values(payload: Any, phone_number_id: str) -> list[dict]:
    """The `value` of each change about messages to this number, in order."""
    body = _dict(payload)
    if body.get("object") != "whatsapp_business_account":
        return []
    values = []
    for entry in _list(body.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            value = _dict(change.get("value"))
            if change.get("field") != "messages":
                continue
            if (
                phone_number_id
                and _dict(value.get("metadata")).get("phone_number_id") != phone_number_id
            ):
                continue
            values.append(value)
    return values


def parse_webhook(payload: Any, phone_number_id: str) -> list[Inbound]:
    """The messages in a webhook body, in order. Delivery statuses and anything
    addressed to another number of the same business account are skipped, and
    no shape of input makes it raise."""
    found = []
    for value in _values(payload, phone_number_id):
        for message in _list(value.get("messages")):
            inbound = _read_message(_dict(message))
            if inbound:
                found.append(inbound)
    return found


@dataclass(frozen=True)
class Status:
    """What Meta says became of a message the line sent: sent, delivered, read or failed."""

    message_id: str
    status: str
    at: datetime


def parse_statuses(payload: Any, phone_number_id: str) -> list[Status]:
    """The delivery statuses in a webhook body, for the same number only; like
    `parse_webhook`, no shape of input makes it raise."""
    found = []
    for value in _values(payload, phone_number_id):
        for status in _list(value.get("statuses")):
            status = _dict(status)
            message_id, state = _text(status.get("id")), _text(status.get("status"))
            if message_id and state:
                found.append(Status(message_id, state, _sent_at(status.get("timestamp"))))
    return found


# --- Shaping messages -----------------------------------------------------------


def length(text: str) -> int:
    """Characters as WhatsApp counts them at worst (UTF-16 units: an emoji is two)."""
    return len(text.encode("utf-16-le")) // 2


def _hard_cut(text: str, limit: int) -> list[str]:
    pieces, current = [], ""
    for char in text:
        if length(current + char) > limit:
            pieces.append(current)
            current = ""
        current += char
    return pieces + [current]


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Parts of at most `limit` characters, cut between paragraphs, else between
    lines, else between words, so a long answer still reads naturally."""
    return [
        part.strip()
        for part in _split((text or "").strip(), limit, ("\n\n", "\n", " "))
        if part.strip()
    ]


def _split(text: str, limit: int, separators: tuple[str, ...]) -> list[str]:
    if length(text) <= limit:
        return [text]
    if not separators:
        return _hard_cut(text, limit)
    separator, finer = separators[0], separators[1:]
    parts, current = [], ""
    for piece in text.split(separator):
        joined = f"{current}{separator}{piece}" if current else piece
        if length(joined) <= limit:
            current = joined
            continue
        if current:
            parts.append(current)
        pieces = _split(piece, limit, finer)
        parts.extend(pieces[:-1])
        current = pieces[-1]
    return parts + [current]


def shorten(title: str, limit: int) -> str:
    """A title that fits: cut at a word when one ends late enough, marked with "…"."""
    title = " ".join(title.split())
    if length(title) <= limit:
        return title
    cut = _hard_cut(title, limit - 1)[0]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,.;:-") + "…"


def text_messages(text: str) -> list[dict]:
    return [
        {"type": "text", "text": {"body": part, "preview_url": "http" in part}}
        for part in split_text(text)
    ]


def _numbered(title: str, number: int) -> str:
    """Domain titles may already carry their number ("3. Vacunación")."""
    if re.match(rf"\s*{number}\s*[.)-]", title):
        return title.strip()
    return f"{number}. {title.strip()}"


def button_messages(
    text: str, buttons: Sequence[dict], list_label: str
) -> tuple[list[dict], list[str]]:
    """Rasa buttons as WhatsApp shows them best: up to 3 reply buttons, up to 10 as
    a list, more as numbered text. Returns the messages and the payloads offered,
    in order, so that a typed number can be mapped back to its payload."""
    options = [
        (_text(b.get("title")).strip(), _text(b.get("payload")).strip())
        for b in buttons
        if isinstance(b, dict)
    ]
    options = [(title or payload, payload) for title, payload in options if payload]
    payloads = [payload for _, payload in options]
    if not options:
        return text_messages(text), []
    parts = split_text(text)
    unique = len(set(payloads)) == len(payloads)
    if (
        parts
        and unique
        and len(options) <= MAX_BUTTONS
        and all(length(p) <= BUTTON_ID_LIMIT for p in payloads)
    ):
        titles = [shorten(title, BUTTON_TITLE_LIMIT) for title, _ in options]
        if len(set(titles)) == len(titles):
            leading = split_text(parts[-1], BUTTON_BODY_LIMIT)
            interactive = {
                "type": "button",
                "body": {"text": leading[-1]},
                "action": {
                    "buttons": [
                        {"type": "reply", "reply": {"id": payload, "title": title}}
                        for title, payload in zip(titles, payloads, strict=True)
                    ]
                },
            }
            return (
                text_messages("\n\n".join(parts[:-1] + leading[:-1]))
                + [{"type": "interactive", "interactive": interactive}],
                payloads,
            )
    if (
        parts
        and unique
        and len(options) <= MAX_ROWS
        and all(length(p) <= ROW_ID_LIMIT for p in payloads)
    ):
        rows = []
        for title, payload in options:
            row = {"id": payload, "title": shorten(title, ROW_TITLE_LIMIT)}
            if row["title"] != title:
                row["description"] = shorten(title, ROW_DESCRIPTION_LIMIT)
            rows.append(row)
        interactive = {
            "type": "list",
            "body": {"text": parts[-1]},
            "action": {
                "button": shorten(list_label, LIST_BUTTON_LIMIT),
                "sections": [{"rows": rows}],
            },
        }
        return (
            text_messages("\n\n".join(parts[:-1]))
            + [{"type": "interactive", "interactive": interactive}],
            payloads,
        )
    listing = "\n".join(_numbered(title, n) for n, (title, _) in enumerate(options, start=1))
    return text_messages(f"{(text or '').strip()}\n\n{listing}"), payloads


# --- Sending ------------------------------------------------------------------------


def _surely_not_sent(exc: requests.RequestException) -> bool:
    """Only a connection that never opened proves the message did not leave; after
    that (a read timeout, a dropped connection) it may have been sent already."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(getattr(cause, "reason", None), NewConnectionError)


@dataclass(frozen=True)
class MediaDownload:
    """The bytes of a media id and the type Graph gives them, or why not (`reason`), and
    whether a later try may work (Graph down, an expired URL)."""

    content: bytes = b""
    mime_type: str = ""
    reason: Optional[str] = None
    retry: bool = False

    @property
    def ok(self) -> bool:
        return self.reason is None


def _sent_id(response: requests.Response) -> Optional[str]:
    """The id Graph gave the message sent, which its status webhooks carry."""
    try:
        messages = _list(_dict(response.json()).get("messages"))
    except ValueError:
        return None
    return _text(_dict(messages[0]).get("id")) or None if messages else None


def _graph_error(response: requests.Response) -> int:
    try:
        return int(_dict(_dict(response.json()).get("error")).get("code") or 0)
    except (ValueError, TypeError):
        return 0


class GraphClient:
    """Posts to /{phone-number-id}/messages. A send is retried, with growing pauses,
    only when Graph surely did not take it (429, 5xx, throttling, no connection),
    so a person never gets the same message twice."""

    def __init__(
        self,
        api_url: str,
        access_token: str,
        phone_number_id: str,
        timeout: float,
        attempts: int,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.api_url = api_url.rstrip("/")
        self.url = f"{self.api_url}/{phone_number_id}/messages"
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.sleep = sleep
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {access_token}"

    @classmethod
    def from_settings(cls) -> "GraphClient":
        s = config.settings
        return cls(
            s.whatsapp_api_url,
            s.whatsapp_access_token,
            s.whatsapp_phone_number_id,
            s.whatsapp_timeout_seconds,
            s.whatsapp_send_attempts,
        )

    def send(self, recipient: str, content: dict) -> Delivery:
        # Digits are a phone number; anything else is a WhatsApp user id.
        address = {"to": recipient} if recipient.isdigit() else {"recipient": recipient}
        body = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            **address,
            **content,
        }
        return self._post(body, self.attempts, "message")

    def mark_read(self, message_id: str) -> Delivery:
        """The person sees the blue ticks; one try is enough for a courtesy."""
        return self._post(
            {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}, 1, "read"
        )

    def download_media(
        self, media_id: str, max_bytes: int, hosts: Collection[str]
    ) -> MediaDownload:
        """Media id -> URL -> bytes, with the access token (Meta's two steps). The URL must
        be on the API's own host or, over HTTPS, on one of `hosts`, and is never followed
        elsewhere; the body is read no further than `max_bytes`. So a forged id, a foreign
        URL or a huge file costs one small request. One try: the caller decides when to
        try again."""
        if not MEDIA_ID.fullmatch(media_id):
            return MediaDownload(reason="bad_media_id")
        try:
            answer = self.session.get(
                f"{self.api_url}/{media_id}", timeout=self.timeout, allow_redirects=False
            )
        except requests.RequestException:
            return MediaDownload(reason="graph_unreachable", retry=True)
        if answer.status_code == 429 or answer.status_code >= 500:
            return MediaDownload(reason=f"graph_{answer.status_code}", retry=True)
        if answer.status_code != 200:
            return MediaDownload(reason=f"graph_error_{_graph_error(answer) or answer.status_code}")
        try:
            info = _dict(answer.json())
        except ValueError:
            return MediaDownload(reason="graph_not_json", retry=True)
        url = _text(info.get("url"))
        if not self._media_host(url, hosts):
            return MediaDownload(reason="foreign_url")
        declared = info.get("file_size")
        if isinstance(declared, (int, str)) and str(declared).isdigit():
            if int(declared) > max_bytes:
                return MediaDownload(reason="too_large")
        mime_type = _text(info.get("mime_type")).split(";")[0].strip().lower()
        try:
            with self.session.get(
                url, timeout=self.timeout, stream=True, allow_redirects=False
            ) as body:
                if 300 <= body.status_code < 400:
                    return MediaDownload(reason="foreign_url")
                if body.status_code != 200:
                    # An expired URL: the next try asks Graph for a new one.
                    return MediaDownload(reason=f"download_{body.status_code}", retry=True)
                content = bytearray()
                for chunk in body.iter_content(MEDIA_CHUNK_BYTES):
                    content += chunk
                    if len(content) > max_bytes:
                        return MediaDownload(reason="too_large")
        except requests.RequestException:
            return MediaDownload(reason="download_interrupted", retry=True)
        return MediaDownload(bytes(content), mime_type)

    def _media_host(self, url: str, hosts: Collection[str]) -> bool:
        """The API's own scheme and host, or HTTPS on one of `hosts` (Meta's CDN)."""
        try:
            parts, api = urlsplit(url), urlsplit(self.api_url)
            port = parts.port
        except ValueError:
            return False
        if parts.username or parts.password:
            return False
        if (parts.scheme, parts.netloc.lower()) == (api.scheme, api.netloc.lower()):
            return True
        return parts.scheme == "https" and port in (None, 443) and parts.hostname in hosts

    def _post(self, body: dict, attempts: int, kind: str) -> Delivery:
        attempt = 1
        while True:
            delivery, retryable, retry_after = self._attempt(body)
            if delivery.ok or not retryable or attempt >= attempts:
                metrics.sent(kind, delivery.reason)
                return delivery
            logger.info("whatsapp send attempt %d failed (%s), retrying", attempt, delivery.reason)
            metrics.send_retried(delivery.reason)
            self.sleep(self._pause(attempt, retry_after))
            attempt += 1

    def _attempt(self, body: dict) -> tuple[Delivery, bool, Optional[str]]:
        """One request: its outcome, whether a retry is safe, and Graph's Retry-After."""
        try:
            response = self.session.post(self.url, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            if _surely_not_sent(exc):
                return Delivery(False, "unreachable"), True, None
            return Delivery(False, "unconfirmed_" + type(exc).__name__.lower()[:40]), False, None
        if response.ok:
            return Delivery(True, message_id=_sent_id(response)), False, None
        code = _graph_error(response)
        if response.status_code == 429 or code in THROTTLING_CODES:
            return Delivery(False, "rate_limited"), True, response.headers.get("Retry-After")
        if response.status_code >= 500:
            return Delivery(False, f"graph_{response.status_code}"), True, None
        if code == REENGAGEMENT_CODE:
            return Delivery(False, "outside_24h_window"), False, None
        return Delivery(False, f"graph_error_{code or response.status_code}"), False, None

    @staticmethod
    def _pause(attempt: int, retry_after: Optional[str]) -> float:
        try:
            asked = float(retry_after) if retry_after else 0.0
        except ValueError:
            asked = 0.0
        backoff = 0.5 * 2 ** (attempt - 1) * (1 + random.random() / 2)
        return min(max(asked, backoff), MAX_RETRY_AFTER_SECONDS)


class WhatsAppOutbound:
    """Sends to a person known only by pseudonym (line/handoff/outbound.py, `Outbound`).

    Refuses outside the 24-hour window instead of letting Graph fail later, stops
    at the first part that fails so nothing arrives out of order, and flags the
    person's open ticket when a message could not be delivered."""

    def __init__(self, client: GraphClient):
        self.client = client

    @classmethod
    def from_settings(cls) -> "WhatsAppOutbound":
        return cls(GraphClient.from_settings())

    def send(self, sender_id: str, text: str) -> Delivery:
        return self.send_messages(sender_id, text_messages(text))

    def send_messages(
        self, sender_id: str, messages: Sequence[dict], options: Sequence[str] = ()
    ) -> Delivery:
        try:
            person = store.contact(sender_id)
        except (DatabaseUnavailable, SQLAlchemyError) as exc:
            logger.error("whatsapp contacts unavailable for %s: %s", sender_id, type(exc).__name__)
            return _refused("contacts_unavailable")
        if person is None:
            logger.warning("whatsapp send to %s refused: unknown recipient", sender_id)
            return _refused("unknown_recipient")
        if not person.within_window():
            logger.warning("whatsapp send to %s refused: outside the 24-hour window", sender_id)
            return _refused("outside_24h_window")
        for message in messages:
            delivery = self.client.send(person.phone, message)
            if not delivery.ok:
                logger.error("whatsapp send to %s failed: %s", sender_id, delivery.reason)
                self._flag(sender_id, delivery.reason)
                return delivery
        try:
            store.remember_options(sender_id, options)
        except (DatabaseUnavailable, SQLAlchemyError) as exc:
            logger.warning("options for %s not kept: %s", sender_id, type(exc).__name__)
        return Delivery(True)

    @staticmethod
    def _flag(sender_id: str, reason: str) -> None:
        try:
            tickets.flag_delivery_failure(sender_id, reason)
        except (DatabaseUnavailable, SQLAlchemyError) as exc:
            logger.error("ticket of %s not flagged: %s", sender_id, type(exc).__name__)


def _refused(reason: str) -> Delivery:
    """A message the line did not even offer to Graph."""
    metrics.sent("message", reason)
    return Delivery(False, reason)
