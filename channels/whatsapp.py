"""WhatsApp Cloud API channel for Rasa: POST/GET /webhooks/whatsapp/webhook.

Meta retries a webhook that is not answered quickly, so a signed request is
acknowledged at once and its messages are handled afterwards, one person at a
time and in order. Each message is stored in the inbox (line/whatsapp/store.py)
before the 200 and marked done after its turn, so one whose Rasa instance dies
mid-turn is handled again by any instance (docs/failures.md). In production the
gateway (line/whatsapp/gateway.py) receives the webhooks instead, so the 200
never waits behind a prediction, and nudges POST /webhooks/whatsapp/inbox: the
channel then takes the inbox rows nobody has taken, as many as it has room for
(WHATSAPP_MAX_IN_FLIGHT), leaving the rest to other instances. A voice note, photo or
file goes to a person (line/media/): its caption through the model first, then a kind
reply, a ticket, and the file fetched in the background. Rasa only ever
sees a keyed pseudonym of the phone number (line/core/pseudonyms.py); the number itself
stays in `whatsapp_contacts`. The Cloud API itself (limits, retries, the 24-hour
rule) lives in line/whatsapp/cloud.py.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.domain import Domain
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from line.alerts import broadcasts
from line.core import metrics, pseudonyms
from line.core import settings as config
from line.core.background import Background
from line.handoff import outbound, request, spool, tickets
from line.media import crypto, fetch, intake, speech
from line.media import store as media_store
from line.privacy import sweep as privacy_sweep
from line.privacy.events import LOCATION_KEYS
from line.whatsapp import store
from line.whatsapp import webhook as webhook_rules
from line.whatsapp.cloud import (
    GraphClient,
    Inbound,
    MediaDownload,
    WhatsAppOutbound,
    button_messages,
    parse_webhook,
    text_messages,
)
from line.whatsapp.webhook import SIGNATURE_HEADER, STORE_ERRORS

logger = logging.getLogger(__name__)

# Domain responses this channel sends itself, outside a Rasa turn.
PLEASE_WRITE = "utter_please_write"
LIST_BUTTON = "utter_whatsapp_list_button"
TROUBLE = "utter_line_trouble"
# What a location pin becomes for Rasa; the coordinates travel in the metadata.
SHARE_LOCATION = "/share_location"
NUMBER_REPLY = re.compile(r"\s*(\d{1,2})\s*[.)]?\s*")
SHUTDOWN_GRACE_SECONDS = 10
# A message whose turn failed this often goes to a person instead (docs/failures.md).
MAX_ATTEMPTS = 3
# How soon an instance with nothing in hand looks again at messages that waited behind
# another instance's (line/whatsapp/store.py take_stale).
RECHECK_SECONDS = 1.0


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

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
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


@lru_cache(maxsize=None)
def _domain_texts(path: Path, names: tuple[str, ...]) -> Dict[str, str]:
    """Wording stays in the domain: fail at start-up, not when a person writes (read once
    per process)."""
    responses = Domain.load(str(path)).responses
    missing = [name for name in names if not (responses.get(name) or [{}])[0].get("text")]
    if missing:
        raise ValueError(f"{path} has no text for {', '.join(missing)} (WhatsApp channel)")
    return {name: responses[name][0]["text"] for name in names}


class WhatsAppInput(InputChannel):
    """Configured from line/core/settings.py (WHATSAPP_*, PSEUDONYM_SECRET); credentials.yml
    only names the channel, so no secret is ever written to a file."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls()

    def __init__(self) -> None:
        s = config.settings
        self.webhook = webhook_rules.WebhookSettings.read(
            "channel", {"WHATSAPP_ACCESS_TOKEN": s.whatsapp_access_token}
        )
        self.client = GraphClient.from_settings()
        self.sender = WhatsAppOutbound(self.client)
        texts = _domain_texts(
            s.domain_file, (PLEASE_WRITE, LIST_BUTTON, TROUBLE, *intake.RESPONSES)
        )
        self.texts = texts
        self.please_write, self.list_label = texts[PLEASE_WRITE], texts[LIST_BUTTON]
        self.trouble = texts[TROUBLE]
        self._locks = _SenderLocks()
        self.background = Background()  # turns after their 200, read receipts, media
        self.pause = asyncio.sleep  # between media fetch attempts (tests replace it)
        self._in_flight: set = set()  # inbox ids being handled by this process
        self._fetching: set = set()  # media ids being fetched by this process
        self.max_in_flight = s.whatsapp_max_in_flight
        self._more = False  # the inbox may hold messages this process could take
        self._replayer: Optional[asyncio.Task] = None
        self._wanted: Optional[asyncio.Event] = None  # set by a nudge of the gateway
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
            return _answer(webhook_rules.verification(request.args, self.webhook.verify_token))

        @webhook.post("/webhook", stream=True)
        async def receive(request: Request) -> HTTPResponse:
            began = time.perf_counter()
            answer = await self._receive(request, on_new_message)
            metrics.webhook_answered("channel", answer.status, time.perf_counter() - began)
            return answer

        @webhook.post("/inbox")
        async def nudged(request: Request) -> HTTPResponse:
            """The gateway stored messages: take them now, not at the next replay."""
            token = config.settings.whatsapp_inbox_token
            if not webhook_rules.same(
                request.headers.get("Authorization"), f"Bearer {token}" if token else ""
            ):
                logger.warning("whatsapp inbox nudge refused: missing or wrong token")
                return _answer(webhook_rules.UNAUTHORIZED)
            if self._wanted:
                self._wanted.set()
            return response.json({"status": "taking"}, status=202)

        @webhook.listener("after_server_start")
        async def start_replaying(*_: Any) -> None:
            self._wanted = asyncio.Event()
            self._replayer = asyncio.get_running_loop().create_task(self._replay(on_new_message))

        @webhook.listener("before_server_stop")
        async def finish_pending(*_: Any) -> None:
            """Let turns in progress end; any cut short stay in the inbox."""
            if self._replayer:
                self._replayer.cancel()
            await self.background.finish(SHUTDOWN_GRACE_SECONDS)

        return webhook

    async def _receive(
        self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> HTTPResponse:
        payload, refusal = webhook_rules.signed_payload(
            await self._read_body(request),
            request.headers.get(SIGNATURE_HEADER),
            self.webhook.app_secret,
            self.webhook.max_body_bytes,
        )
        if refusal:
            return _answer(refusal)
        await asyncio.to_thread(webhook_rules.note_statuses, payload, self.webhook.phone_number_id)
        for message in parse_webhook(payload, self.webhook.phone_number_id):
            sender_id = pseudonyms.pseudonym(message.sender)
            accepted, inbox_id = await asyncio.to_thread(webhook_rules.accept, message, sender_id)
            metrics.message_received("channel", webhook_rules.outcome(accepted, inbox_id))
            if accepted:
                self._hold(inbox_id)
                self.background.spawn(self._handle(sender_id, message, inbox_id, on_new_message))
        return _answer(webhook_rules.OK)

    async def _read_body(self, request: Request) -> Optional[bytes]:
        """The raw body (what the signature covers), or None when it is too large."""
        request.stream.request_max_size = self.webhook.max_body_bytes
        body = bytearray()
        try:
            async for chunk in request.stream:
                body += chunk
        except PayloadTooLarge:
            return None
        return bytes(body)

    async def _handle(
        self,
        sender_id: str,
        message: Inbound,
        inbox_id: Optional[int],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        attempt: int = 1,
    ) -> None:
        """After the 200: drop redeliveries, then answer, then mark the message done.
        A turn that raises stays in the inbox and is tried again (`_replay`). A message
        read back from the inbox has no id: the gateway or an earlier attempt already
        checked it and marked it read."""
        self._hold(inbox_id)
        try:
            async with self._locks.hold(sender_id):
                if inbox_id is not None and not await self._still_ours(inbox_id, attempt):
                    return
                if message.message_id:
                    if not await self._first_delivery(message, sender_id):
                        await self._finish(inbox_id)
                        return
                    self.background.spawn(
                        asyncio.to_thread(self.client.mark_read, message.message_id)
                    )
                if attempt > MAX_ATTEMPTS:
                    await self._give_up(sender_id, message)
                else:
                    try:
                        await self._dispatch(message, sender_id, on_new_message)
                    except Exception:
                        metrics.whatsapp_turn_failed()
                        logger.exception(
                            "whatsapp message from %s could not be handled (attempt %d)%s",
                            sender_id,
                            attempt,
                            "" if inbox_id is None else "; it will be tried again",
                        )
                        return
                await self._finish(inbox_id)
        finally:
            self._release(inbox_id)

    def _hold(self, inbox_id: Optional[int]) -> None:
        if inbox_id is not None:
            self._in_flight.add(inbox_id)
            metrics.in_flight(len(self._in_flight))

    def _release(self, inbox_id: Optional[int]) -> None:
        """A message is out of hand: room for one that was left waiting in the inbox."""
        self._in_flight.discard(inbox_id)
        metrics.in_flight(len(self._in_flight))
        if self._more and self._wanted is not None:
            self._wanted.set()

    @staticmethod
    async def _still_ours(inbox_id: int, attempt: int) -> bool:
        """Another instance may have taken the message while this one waited for the
        person's earlier turn (the lease ran out): then that one answers, not this one."""
        try:
            if await asyncio.to_thread(store.renew, inbox_id, attempt):
                return True
        except STORE_ERRORS as exc:
            # Better a rare double answer than a message nobody answers.
            logger.error("whatsapp inbox lease not renewed: %s", type(exc).__name__)
            return True
        metrics.lease_lost()
        logger.warning(
            "whatsapp inbox message %d taken by another instance meanwhile: answered there",
            inbox_id,
        )
        return False

    @staticmethod
    async def _first_delivery(message: Inbound, sender_id: str) -> bool:
        try:
            if await asyncio.to_thread(store.first_delivery, message.message_id):
                return True
            logger.info("whatsapp redelivery from %s dropped", sender_id)
            return False
        except STORE_ERRORS as exc:
            # Better a rare double answer than a message nobody answers.
            logger.error("whatsapp de-duplication unavailable: %s", type(exc).__name__)
            return True

    @staticmethod
    async def _finish(inbox_id: Optional[int]) -> None:
        if inbox_id is None:
            return
        try:
            await asyncio.to_thread(store.finish, inbox_id)
        except STORE_ERRORS as exc:
            logger.error(
                "whatsapp inbox message %d not marked done (it may be answered twice): %s",
                inbox_id,
                type(exc).__name__,
            )

    async def _replay(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """At start, when the gateway nudges, when a turn ends and messages were left
        waiting, and every WHATSAPP_REPLAY_SECONDS: the messages the gateway stored, and
        those whose instance died mid-turn (or whose turn failed), oldest first, one
        person at a time. One loop takes them, so they start in inbox order; the lease in
        the inbox keeps two instances from taking the same one. It takes no more than
        WHATSAPP_MAX_IN_FLIGHT in hand at once: a nudged instance leaves the rest to the
        others, and nothing waits in its hands long enough to be replayed by another."""
        every = config.settings.whatsapp_replay_seconds
        while True:
            self._wanted.clear()
            room = self.max_in_flight - len(self._in_flight)
            batch = store.Batch([], more=room <= 0)
            if room > 0:
                try:
                    batch = await asyncio.to_thread(
                        store.take_stale, timedelta(seconds=every), set(self._in_flight), room
                    )
                except STORE_ERRORS as exc:
                    logger.error("whatsapp inbox unavailable for replay: %s", type(exc).__name__)
            self._more = batch.more
            metrics.inbox_taken(len(batch.taken), sum(p.attempts > 1 for p in batch.taken))
            for pending in batch.taken:
                try:
                    message = webhook_rules.stored_message(pending)
                except (KeyError, TypeError, ValueError) as exc:
                    # One unreadable row must not stop the loop that takes all the others.
                    logger.error(
                        "whatsapp inbox message %d unreadable, dropped: %s",
                        pending.id,
                        type(exc).__name__,
                    )
                    await self._finish(pending.id)
                    continue
                if pending.attempts > 1:
                    logger.warning(
                        "whatsapp message of %s handled again (attempt %d)",
                        pending.pseudonym,
                        pending.attempts,
                    )
                self._hold(pending.id)
                self.background.spawn(
                    self._handle(
                        pending.pseudonym, message, pending.id, on_new_message, pending.attempts
                    )
                )
            await self._media_due(on_new_message)
            wait = RECHECK_SECONDS if self._more and not self._in_flight else every
            try:
                await asyncio.wait_for(self._wanted.wait(), timeout=wait)
            except asyncio.TimeoutError:
                pass

    async def _media_due(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Files whose fetcher died or whose retry is due; the privacy sweep, which
        deletes media past retention among the rest, every few minutes."""
        await asyncio.to_thread(privacy_sweep.now_and_then)
        try:
            due = await asyncio.to_thread(media_store.due)
        except STORE_ERRORS as exc:
            logger.error("media store unavailable: %s", type(exc).__name__)
            return
        for media_id in due:
            if media_id not in self._fetching:
                self.background.spawn(self._fetch(media_id, on_new_message))

    async def _give_up(self, sender_id: str, message: Inbound) -> None:
        """A turn that keeps failing: the person is told and a person takes over."""
        metrics.whatsapp_given_up()
        logger.error(
            "whatsapp message of %s failed %d times: a person takes over", sender_id, MAX_ATTEMPTS
        )
        handoff = request.from_message(
            sender_id,
            self.name(),
            message.text or f"[{message.type}]",
            f"not handled after {MAX_ATTEMPTS} attempts",
        )
        try:
            await asyncio.to_thread(spool.open_or_keep, handoff)
        except OSError:
            logger.exception(
                "NO TICKET for %s: neither the database nor the spool took it", sender_id
            )
        await self.get_output_channel().send_text_message(sender_id, self.trouble)

    async def _dispatch(
        self,
        message: Inbound,
        sender_id: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> None:
        output = self.get_output_channel()
        if message.kind == "media":
            await self._media(message, sender_id, on_new_message, output)
            return
        if message.kind == "unsupported":
            logger.info("whatsapp %s message from %s: asked to write", message.type, sender_id)
            await self._note_for_operator(sender_id, f"[{message.type}] {message.text}".strip())
            await output.send_text_message(sender_id, self.please_write)
            return
        text, metadata = message.text, await self._replying_to(sender_id, message)
        if message.kind == "location":
            text = SHARE_LOCATION
            metadata.update(zip(LOCATION_KEYS, (message.latitude, message.longitude), strict=True))
        elif message.kind == "text":
            text = await self._chosen_option(sender_id, text) or text
        await on_new_message(
            UserMessage(
                text, output, sender_id, input_channel=self.name(), metadata=metadata or None
            )
        )

    async def _media(
        self,
        message: Inbound,
        sender_id: str,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        output: OutputChannel,
    ) -> None:
        """A caption is the person's words: through the model first, so danger in it
        gets the emergency path. Then the file goes to a person (line/media/intake.py),
        the person is told, and the file is fetched after this turn."""
        if message.text:
            await on_new_message(
                UserMessage(message.text, output, sender_id, input_channel=self.name())
            )
        received = await asyncio.to_thread(
            intake.receive,
            sender_id,
            self.name(),
            message.type,
            message.media_id,
            message.mime_type,
        )
        logger.info("whatsapp %s message from %s: for a person", message.type, sender_id)
        if received.say:
            await output.send_text_message(sender_id, self._wording(received.say))
        if received.media_id is not None:
            self.background.spawn(self._fetch(received.media_id, on_new_message))

    def _wording(self, say: tuple) -> str:
        """Domain responses with their values, as one message."""
        parts = []
        for name, values in say:
            text = self.texts[name]
            for key, value in values.items():
                text = text.replace("{" + key + "}", str(value))
            parts.append(text)
        return "\n\n".join(parts)

    def _download(self, graph_id: str, max_bytes: int) -> MediaDownload:
        return self.client.download_media(graph_id, max_bytes, config.settings.whatsapp_media_hosts)

    async def _fetch(
        self, media_id: int, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """Attempts with backoff until the file is kept, refused or given up (the row
        says which, for the operator); then its transcript, where a speech model is set."""
        if media_id in self._fetching:
            return
        self._fetching.add(media_id)
        after = None
        try:
            while True:
                try:
                    attempt = await asyncio.to_thread(
                        fetch.fetch_once, media_id, self._download, after
                    )
                except (*STORE_ERRORS, crypto.KeyUnusable) as exc:
                    # The row stays due: the replay loop takes it again.
                    why = exc if isinstance(exc, crypto.KeyUnusable) else type(exc).__name__
                    logger.error("media %d not fetched: %s", media_id, why)
                    return
                if attempt.retry_in is None:
                    break
                after = attempt.number
                await self.pause(attempt.retry_in)
        finally:
            self._fetching.discard(media_id)
        if attempt.transcribe:
            await self._transcript_turn(media_id, on_new_message)

    async def _transcript_turn(
        self, media_id: int, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        """The transcript goes through the model as the person's message, once."""
        try:
            text = await asyncio.to_thread(speech.transcribe, media_id)
            if not text or not await asyncio.to_thread(media_store.take_transcript_turn, media_id):
                return
            sender_id = (await asyncio.to_thread(media_store.item, media_id))["sender_id"]
        except STORE_ERRORS as exc:
            logger.error("voice note %d: transcript not used: %s", media_id, type(exc).__name__)
            return
        async with self._locks.hold(sender_id):
            await on_new_message(
                UserMessage(
                    text,
                    self.get_output_channel(),
                    sender_id,
                    input_channel=self.name(),
                    metadata={"media_transcript": media_id},
                )
            )

    @staticmethod
    async def _replying_to(sender_id: str, message: Inbound) -> Dict[str, Any]:
        """The metadata of a reply to a broadcast: the broadcast's id, which the tracker
        keeps with the message (line/alerts)."""
        try:
            broadcast_id = await asyncio.to_thread(
                broadcasts.replied_broadcast, sender_id, message.sent_at
            )
        except STORE_ERRORS as exc:
            logger.error("broadcast of a reply not looked up: %s", type(exc).__name__)
            return {}
        return {broadcasts.REPLY_KEY: broadcast_id} if broadcast_id else {}

    @staticmethod
    async def _chosen_option(sender_id: str, text: str) -> Optional[str]:
        """ "2" answers the list of options the person was last offered."""
        number = NUMBER_REPLY.fullmatch(text)
        if not number:
            return None
        try:
            return await asyncio.to_thread(store.option, sender_id, int(number.group(1)))
        except STORE_ERRORS as exc:
            logger.error("whatsapp options unavailable: %s", type(exc).__name__)
            return None

    @staticmethod
    async def _note_for_operator(sender_id: str, note: str) -> None:
        """An operator handling the person sees that something came they cannot read here."""
        try:
            await asyncio.to_thread(tickets.add_messages, sender_id, [("note", note)])
        except STORE_ERRORS as exc:
            logger.error("note for the ticket of %s not stored: %s", sender_id, type(exc).__name__)


def _answer(answer: webhook_rules.Answer) -> HTTPResponse:
    return response.text(answer.text, status=answer.status)
