"""The WhatsApp webhook without a web server: what Rasa's channel (channels/whatsapp.py)
and the gateway (line/whatsapp/gateway.py) both do with a request, so the two
cannot drift apart. The handshake, the signature on the raw body, the JSON, and the
one short transaction that stores a message (contact and inbox row) before the 200.
Nothing here logs a phone number, a message id or a message text.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Mapping, Optional

import redis
from sqlalchemy.exc import SQLAlchemyError

from line.alerts import broadcasts
from line.core import pseudonyms
from line.core import settings as config
from line.core.db import DatabaseUnavailable
from line.whatsapp import store
from line.whatsapp.cloud import Inbound, parse_statuses

logger = logging.getLogger(__name__)

PATH = "/webhooks/whatsapp/webhook"
# The internal route of Rasa's channel that the gateway nudges.
INBOX_PATH = "/webhooks/whatsapp/inbox"
SIGNATURE_HEADER = "X-Hub-Signature-256"
STORE_ERRORS = (DatabaseUnavailable, SQLAlchemyError, redis.RedisError)


@dataclass(frozen=True)
class WebhookSettings:
    """What the channel and the gateway both need to accept a webhook, read once."""

    verify_token: str
    app_secret: str
    phone_number_id: str
    max_body_bytes: int

    @classmethod
    def read(
        cls, receiver: str, also_needed: Optional[Mapping[str, str]] = None
    ) -> "WebhookSettings":
        """Refuses to start without PSEUDONYM_SECRET once messages can be accepted, and
        says which settings are missing; `also_needed` maps more setting names to values."""
        s = config.settings
        webhook = cls(
            s.whatsapp_verify_token,
            s.whatsapp_app_secret,
            s.whatsapp_phone_number_id,
            s.whatsapp_max_body_bytes,
        )
        if webhook.app_secret and not s.pseudonym_secret:
            raise pseudonyms.MissingSecret(
                "PSEUDONYM_SECRET must be set before WhatsApp messages are accepted"
            )
        needed = {
            "WHATSAPP_VERIFY_TOKEN": webhook.verify_token,
            "WHATSAPP_APP_SECRET": webhook.app_secret,
            **(also_needed or {}),
            "WHATSAPP_PHONE_NUMBER_ID": webhook.phone_number_id,
        }
        if not all(needed.values()):
            logger.warning(
                "WhatsApp %s not fully configured: set %s (docs/whatsapp.md)",
                receiver,
                ", ".join(needed),
            )
        return webhook


@dataclass(frozen=True)
class Answer:
    """An HTTP answer either server gives as it is."""

    status: int
    text: str


OK = Answer(200, "ok")
FORBIDDEN = Answer(403, "forbidden")
TOO_LARGE = Answer(413, "payload too large")
UNAUTHORIZED = Answer(401, "unauthorized")
BAD_REQUEST = Answer(400, "bad request")


def same(given: Optional[str], expected: str) -> bool:
    """Constant-time comparison; an empty secret never matches anything. Header bytes
    that are not UTF-8 reach here as surrogates, which must not raise."""
    if not given or not expected:
        return False
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


def verification(args: Mapping[str, Any], verify_token: str) -> Answer:
    """Meta's GET handshake: the challenge echoed only for the right verify token."""
    challenge = args.get("hub.challenge")
    if (
        args.get("hub.mode") == "subscribe"
        and challenge is not None
        and same(args.get("hub.verify_token"), verify_token)
    ):
        return Answer(200, challenge)
    logger.warning("whatsapp webhook verification refused")
    return FORBIDDEN


def signed_payload(
    body: Optional[bytes], signature: Optional[str], app_secret: str, max_body_bytes: int
) -> tuple[Any, Optional[Answer]]:
    """The JSON of a signed body, or the refusal: 413 for a body over the limit (None,
    the reader stopped), 401 for a missing or wrong signature, 400 for anything not
    JSON. Logged without the body."""
    if body is None:
        logger.warning("whatsapp webhook refused: body over %d bytes", max_body_bytes)
        return None, TOO_LARGE
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    if not app_secret or not same(signature, expected):
        logger.warning("whatsapp webhook refused: missing or wrong signature (%d bytes)", len(body))
        return None, UNAUTHORIZED
    try:
        return json.loads(body), None
    except (ValueError, RecursionError):
        logger.warning("whatsapp webhook refused: body is not JSON (%d bytes)", len(body))
        return None, BAD_REQUEST


def accept(message: Inbound, sender_id: str, queued: bool = False) -> tuple[bool, Optional[int]]:
    """One small transaction: the contact and the inbox row (a few milliseconds).
    (False, None) for a copy of a message already in the inbox; (True, None) when the
    database is down (the caller decides what that means). Blocking: call it off the
    event loop."""
    fields = {
        key: value for key, value in asdict(message).items() if key not in ("message_id", "sender")
    }
    fields["sent_at"] = message.sent_at.isoformat()
    try:
        inbox_id = store.accept(
            sender_id,
            pseudonyms.normalize(message.sender),
            message.message_id,
            message.sent_at,
            fields,
            queued,
        )
    except STORE_ERRORS as exc:
        logger.error(
            "whatsapp message of %s not stored before the 200: %s", sender_id, type(exc).__name__
        )
        return True, None
    if inbox_id is None:
        logger.info("whatsapp redelivery from %s dropped", sender_id)
    else:
        _note_reply(sender_id, message.sent_at)
    return inbox_id is not None, inbox_id


def _note_reply(sender_id: str, sent_at: datetime) -> None:
    """A message within a day of a broadcast counts as its reply (line/alerts)."""
    try:
        broadcasts.record_reply(sender_id, sent_at)
    except STORE_ERRORS as exc:
        logger.error("reply of %s to a broadcast not noted: %s", sender_id, type(exc).__name__)


def note_statuses(payload: Any, phone_number_id: str) -> int:
    """Meta's delivery statuses (sent, delivered, read, failed) onto the broadcasts' rows
    (line/alerts); statuses of other messages change nothing. Blocking: call it off the
    event loop. Returns how many statuses were in the body."""
    statuses = parse_statuses(payload, phone_number_id)
    if statuses:
        try:
            broadcasts.record_statuses((s.message_id, s.status, s.at) for s in statuses)
        except STORE_ERRORS as exc:
            logger.error("%d delivery statuses not kept: %s", len(statuses), type(exc).__name__)
    return len(statuses)


def outcome(accepted: bool, inbox_id: Optional[int]) -> str:
    """What `accept` did with a message, for the metrics: stored, duplicate, unstored."""
    if inbox_id is not None:
        return "stored"
    return "unstored" if accepted else "duplicate"


def stored_message(pending: store.Pending) -> Inbound:
    """An inbox row as a message again; without its id and number, which are never
    stored (the channel neither marks it read nor checks it as a redelivery again)."""
    fields = {**pending.message, "sent_at": datetime.fromisoformat(pending.message["sent_at"])}
    return Inbound(message_id="", sender="", **fields)
