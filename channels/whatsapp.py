"""WhatsApp Cloud API channel for Rasa: POST/GET /webhooks/whatsapp/webhook.

Meta retries a webhook that is not answered quickly, so a signed request is
acknowledged at once and its messages are handled afterwards, one person at a
time and in order. Rasa only ever sees a keyed pseudonym of the phone number
(line/privacy.py); the number itself stays in `whatsapp_contacts`. The Cloud
API itself (limits, retries, the 24-hour rule) lives in line/whatsapp_cloud.py.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import redis
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.domain import Domain
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from line import handoff, outbound, privacy, whatsapp_store
from line import settings as config
from line.db import DirectoryUnavailable
from line.whatsapp_cloud import (GraphClient, Inbound, WhatsAppOutbound, button_messages,
                                 parse_webhook, text_messages)

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
# Domain responses this channel sends itself, outside a Rasa turn.
PLEASE_WRITE = "utter_please_write"
LIST_BUTTON = "utter_whatsapp_list_button"
# What a location pin becomes for Rasa; the coordinates travel in the metadata.
SHARE_LOCATION = "/share_location"
NUMBER_REPLY = re.compile(r"\s*(\d{1,2})\s*[.)]?\s*")
STORE_ERRORS = (DirectoryUnavailable, SQLAlchemyError, redis.RedisError)
SHUTDOWN_GRACE_SECONDS = 10


class WhatsAppOutput(OutputChannel):
    """Bot replies, shaped for WhatsApp and sent off the event loop."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    def __init__(self, sender: WhatsAppOutbound, list_label: str) -> None:
        self.sender = sender
        self.list_label = list_label

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await asyncio.to_thread(self.sender.send_messages, recipient_id, text_messages(text))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text,
                                     buttons: List[Dict[Text, Any]], **kwargs: Any) -> None:
        messages, payloads = button_messages(text, buttons, self.list_label)
        await asyncio.to_thread(self.sender.send_messages, recipient_id, messages, payloads)


class _SenderLocks:
    """One FIFO lock per person with messages in flight, so one person's messages
    are handled in the order they arrived while other people go in parallel.
    Across Rasa instances, Rasa's lock store keeps one conversation at a time."""

    def __init__(self) -> None:
        self._held: Dict[str, list] = {}

    @asynccontextmanager
    async def hold(self, key: str):
        entry = self._held.setdefault(key, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if not entry[1]:
                del self._held[key]


def _domain_texts(path: Path, names: tuple[str, ...]) -> Dict[str, str]:
    """Wording stays in the domain: fail at start-up, not when a person writes."""
    responses = Domain.load(str(path)).responses
    missing = [name for name in names if not (responses.get(name) or [{}])[0].get("text")]
    if missing:
        raise ValueError(f"{path} has no text for {', '.join(missing)} (WhatsApp channel)")
    return {name: responses[name][0]["text"] for name in names}


class WhatsAppInput(InputChannel):
    """Configured from line.settings (WHATSAPP_*, PSEUDONYM_SECRET); credentials.yml
    only names the channel, so no secret is ever written to a file."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        s = config.settings
        self.verify_token = s.whatsapp_verify_token
        self.app_secret = s.whatsapp_app_secret
        self.phone_number_id = s.whatsapp_phone_number_id
        self.max_body_bytes = s.whatsapp_max_body_bytes
        if self.app_secret and not s.pseudonym_secret:
            raise privacy.MissingSecret(
                "PSEUDONYM_SECRET must be set before WhatsApp messages are accepted")
        if not (self.app_secret and self.verify_token and s.whatsapp_access_token
                and self.phone_number_id):
            logger.warning("WhatsApp channel not fully configured: set WHATSAPP_VERIFY_TOKEN, "
                           "WHATSAPP_APP_SECRET, WHATSAPP_ACCESS_TOKEN and "
                           "WHATSAPP_PHONE_NUMBER_ID (docs/whatsapp.md)")
        self.client = GraphClient.from_settings()
        self.sender = WhatsAppOutbound(self.client)
        texts = _domain_texts(s.domain_file, (PLEASE_WRITE, LIST_BUTTON))
        self.please_write, self.list_label = texts[PLEASE_WRITE], texts[LIST_BUTTON]
        self._locks = _SenderLocks()
        self._tasks: set = set()
        outbound.register(self.name(), self.sender)

    def get_output_channel(self) -> OutputChannel:
        return WhatsAppOutput(self.sender, self.list_label)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook")

        @webhook.get("/")
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.get("/webhook")
        async def verify(request: Request) -> HTTPResponse:
            challenge = request.args.get("hub.challenge")
            if (request.args.get("hub.mode") == "subscribe" and challenge is not None
                    and _same(request.args.get("hub.verify_token"), self.verify_token)):
                return response.text(challenge)
            logger.warning("whatsapp webhook verification refused")
            return response.text("forbidden", status=403)

        @webhook.post("/webhook", stream=True)
        async def receive(request: Request) -> HTTPResponse:
            body = await self._read_body(request)
            if body is None:
                logger.warning("whatsapp webhook refused: body over %d bytes",
                               self.max_body_bytes)
                return response.text("payload too large", status=413)
            expected = "sha256=" + hmac.new(self.app_secret.encode(), body,
                                            hashlib.sha256).hexdigest()
            if not self.app_secret or not _same(request.headers.get(SIGNATURE_HEADER), expected):
                logger.warning("whatsapp webhook refused: missing or wrong signature "
                               "(%d bytes)", len(body))
                return response.text("unauthorized", status=401)
            try:
                payload = json.loads(body)
            except (ValueError, RecursionError):
                logger.warning("whatsapp webhook refused: body is not JSON (%d bytes)",
                               len(body))
                return response.text("bad request", status=400)
            for message in parse_webhook(payload, self.phone_number_id):
                self._spawn(self._handle(message, on_new_message))
            return response.text("ok")

        @webhook.listener("before_server_stop")
        async def finish_pending(*_: Any) -> None:
            """Messages already acknowledged to Meta would be lost on a restart."""
            if self._tasks:
                await asyncio.wait(set(self._tasks), timeout=SHUTDOWN_GRACE_SECONDS)

        return webhook

    async def _read_body(self, request: Request) -> Optional[bytes]:
        """The raw body (what the signature covers), or None when it is too large."""
        request.stream.request_max_size = self.max_body_bytes
        body = bytearray()
        try:
            async for chunk in request.stream:
                body += chunk
        except PayloadTooLarge:
            return None
        return bytes(body)

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, message: Inbound,
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """After the 200: drop redeliveries, remember the person, then answer."""
        sender_id = privacy.pseudonym(message.sender)
        async with self._locks.hold(sender_id):
            try:
                if not await asyncio.to_thread(whatsapp_store.first_delivery,
                                               message.message_id):
                    logger.info("whatsapp redelivery from %s dropped", sender_id)
                    return
            except STORE_ERRORS as exc:
                # Better a rare double answer than a message nobody answers.
                logger.error("whatsapp de-duplication unavailable: %s", type(exc).__name__)
            try:
                await asyncio.to_thread(whatsapp_store.record_inbound, sender_id,
                                        privacy.normalize(message.sender), message.sent_at)
            except STORE_ERRORS as exc:
                logger.error("whatsapp contact of %s not stored: %s", sender_id,
                             type(exc).__name__)
            self._spawn(asyncio.to_thread(self.client.mark_read, message.message_id))
            try:
                await self._dispatch(message, sender_id, on_new_message)
            except Exception:
                logger.exception("whatsapp message from %s could not be handled", sender_id)

    async def _dispatch(self, message: Inbound, sender_id: str,
                        on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        output = self.get_output_channel()
        if message.kind in ("media", "unsupported"):
            logger.info("whatsapp %s message from %s: asked to write", message.type, sender_id)
            await self._note_for_operator(sender_id, f"[{message.type}] {message.text}".strip())
            await output.send_text_message(sender_id, self.please_write)
            return
        text, metadata = message.text, None
        if message.kind == "location":
            text = SHARE_LOCATION
            metadata = {"latitude": message.latitude, "longitude": message.longitude}
        elif message.kind == "text":
            text = await self._chosen_option(sender_id, text) or text
        await on_new_message(UserMessage(text, output, sender_id, input_channel=self.name(),
                                         metadata=metadata))

    @staticmethod
    async def _chosen_option(sender_id: str, text: str) -> Optional[str]:
        """"2" answers the list of options the person was last offered."""
        number = NUMBER_REPLY.fullmatch(text)
        if not number:
            return None
        try:
            return await asyncio.to_thread(whatsapp_store.option, sender_id,
                                           int(number.group(1)))
        except STORE_ERRORS as exc:
            logger.error("whatsapp options unavailable: %s", type(exc).__name__)
            return None

    @staticmethod
    async def _note_for_operator(sender_id: str, note: str) -> None:
        """An operator handling the person sees that something came they cannot read here."""
        try:
            await asyncio.to_thread(handoff.add_messages, sender_id, [("note", note)])
        except STORE_ERRORS as exc:
            logger.error("note for the ticket of %s not stored: %s", sender_id,
                         type(exc).__name__)


def _same(given: Optional[str], expected: str) -> bool:
    """Constant-time comparison; an empty secret never matches anything. Header bytes
    that are not UTF-8 reach here as surrogates, which must not raise."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"),
                               expected.encode("utf-8", "surrogatepass"))
