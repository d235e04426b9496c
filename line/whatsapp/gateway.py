"""The WhatsApp gateway: acknowledges Meta's webhooks in a small process that never
predicts, so the 200 never waits behind a model (issue #7).

    python -m line.whatsapp.gateway      # WHATSAPP_GATEWAY_HOST:WHATSAPP_GATEWAY_PORT

It serves the same /webhooks/whatsapp/webhook as Rasa's channel (channels/whatsapp.py),
with the same rules (line/whatsapp/webhook.py): the handshake, the signature on the raw
body, the size limit, one short transaction per message (contact and inbox row, the
inbox key dropping copies). Then it answers 200, and only afterwards nudges a Rasa
instance (POST /webhooks/whatsapp/inbox) to take the rows, and marks the messages
read. Each nudge goes on a connection of its own: through a Kubernetes Service, a kept
connection would take every nudge to one pod (docs/scale.md), while a new one lets
kube-proxy choose a pod each time; a nudged instance takes only what it has room for.
A nudge that fails loses nothing: the rows wait in the inbox for the next nudge or the
channel's replay (WHATSAPP_REPLAY_SECONDS). While the database is down a message cannot
be stored, so the signed body goes to Rasa's own webhook as it came, and Meta gets 503
(it delivers again later) if no instance takes it. No Rasa import: a few tens of MB.
Its metrics are on LINE_METRICS_PORT (line/core/metrics.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Optional

import aiohttp
from aiohttp import web

from line.core import metrics, pseudonyms
from line.core import settings as config
from line.core.background import Background
from line.privacy import logs
from line.whatsapp import store
from line.whatsapp import webhook as rules
from line.whatsapp.cloud import GraphClient, Inbound, parse_webhook
from line.whatsapp.webhook import SIGNATURE_HEADER, STORE_ERRORS

logger = logging.getLogger(__name__)

HEALTH_PATH = "/webhooks/whatsapp/"
# Rasa's channel may wait behind a prediction before it answers a forwarded body;
# Meta itself waits longer than this.
FORWARD_TIMEOUT_SECONDS = 10.0
SHUTDOWN_GRACE_SECONDS = 5.0
# Nudges on their way at once; more wait for one of them to end.
MAX_NUDGES = 8


class Gateway:
    """Configured from line/core/settings.py, like the channel."""

    def __init__(self) -> None:
        s = config.settings
        self.webhook = rules.WebhookSettings.read("gateway")
        self.rasa_urls = list(s.whatsapp_rasa_urls)
        self.token = s.whatsapp_inbox_token
        self.nudge_timeout = s.whatsapp_nudge_timeout_seconds
        if not self.token:
            logger.warning(
                "WHATSAPP_INBOX_TOKEN is not set: Rasa is never nudged and takes "
                "the gateway's messages at its replay, every %.0f s",
                s.whatsapp_replay_seconds,
            )
        self.client = GraphClient.from_settings()
        self.background = Background()  # nudges and read receipts after the 200
        self._next = 0  # the instance nudged first next time, so they share the work
        self._nudges: Optional[asyncio.Semaphore] = None
        self._session: Optional[aiohttp.ClientSession] = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(HEALTH_PATH, self.health)
        app.router.add_get(rules.PATH, self.verify)
        app.router.add_post(rules.PATH, self.receive)
        app.on_startup.append(self._open)
        app.on_cleanup.append(self._close)
        return app

    async def _open(self, _: web.Application) -> None:
        # A new connection for every call: see the module's docstring.
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True))
        self._nudges = asyncio.Semaphore(MAX_NUDGES)

    async def _close(self, _: web.Application) -> None:
        """Nudges and read receipts in progress may end; the inbox keeps the rest."""
        await self.background.finish(SHUTDOWN_GRACE_SECONDS)
        await self._session.close()

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def verify(self, request: web.Request) -> web.Response:
        return _answer(rules.verification(request.query, self.webhook.verify_token))

    async def receive(self, request: web.Request) -> web.Response:
        began = time.perf_counter()
        answer = await self._receive(request)
        metrics.webhook_answered("gateway", answer.status, time.perf_counter() - began)
        return answer

    async def _receive(self, request: web.Request) -> web.Response:
        body = await self._read_body(request)
        payload, refusal = rules.signed_payload(
            body,
            request.headers.get(SIGNATURE_HEADER),
            self.webhook.app_secret,
            self.webhook.max_body_bytes,
        )
        if refusal:
            return _answer(refusal)
        await asyncio.to_thread(rules.note_statuses, payload, self.webhook.phone_number_id)
        stored, unstored = [], 0
        for message in parse_webhook(payload, self.webhook.phone_number_id):
            sender_id = pseudonyms.pseudonym(message.sender)
            accepted, inbox_id = await asyncio.to_thread(
                rules.accept, message, sender_id, queued=True
            )
            metrics.message_received("gateway", rules.outcome(accepted, inbox_id))
            if inbox_id is not None:
                stored.append(message)
            elif accepted:
                unstored += 1
        if stored:
            self.background.spawn(self._after_ack(stored))
        if unstored:
            return await self._forward(body, request.headers[SIGNATURE_HEADER])
        return _answer(rules.OK)

    async def _read_body(self, request: web.Request) -> Optional[bytes]:
        """The raw body (what the signature covers), or None when it is too large."""
        if (request.content_length or 0) > self.webhook.max_body_bytes:
            return None
        body = bytearray()
        async for chunk in request.content.iter_chunked(64 * 1024):
            body += chunk
            if len(body) > self.webhook.max_body_bytes:
                return None
        return bytes(body)

    async def _after_ack(self, messages: list[Inbound]) -> None:
        """After the 200: Rasa is told, the person sees the blue ticks, and old ids and
        handled rows are purged now and then."""
        await self.nudge()
        for message in messages:
            await asyncio.to_thread(self.client.mark_read, message.message_id)
        try:
            await asyncio.to_thread(store.purge_now_and_then)
        except STORE_ERRORS as exc:
            logger.error("whatsapp purge failed: %s", type(exc).__name__)

    async def nudge(self) -> None:
        """One nudge for each webhook's messages: an instance takes only what it has room
        for, so the nudges, spread over the instances, share the work among them."""
        if not self.token:
            return
        async with self._nudges:
            metrics.nudged(await self._nudge_once())

    async def _nudge_once(self) -> str:
        """taken, refused (every instance tried answered an error) or failed."""
        result = "failed"
        for url in self._in_turn():
            try:
                async with self._session.post(
                    url + rules.INBOX_PATH,
                    headers={"Authorization": f"Bearer {self.token}"},
                    timeout=aiohttp.ClientTimeout(total=self.nudge_timeout),
                ) as answer:
                    if answer.status < 300:
                        return "taken"
                    result = "refused"
                    logger.warning("whatsapp nudge refused by %s: HTTP %d", url, answer.status)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                logger.warning("whatsapp nudge to %s failed: %s", url, type(exc).__name__)
        # A busy instance may still take a nudge that timed out, once its loop is free.
        logger.warning(
            "no Rasa instance confirmed the nudge: the messages wait in the inbox "
            "for the next nudge or replay"
        )
        return result

    def _in_turn(self) -> list[str]:
        start = self._next % len(self.rasa_urls) if self.rasa_urls else 0
        self._next += 1
        return self.rasa_urls[start:] + self.rasa_urls[:start]

    async def _forward(self, body: bytes, signature: str) -> web.Response:
        """The database is down: Rasa's channel handles the body itself, as before the
        gateway (answered, but not safe from a crash); if none takes it, Meta retries."""
        for url in self._in_turn():
            try:
                async with self._session.post(
                    url + rules.PATH,
                    data=body,
                    headers={SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
                    timeout=aiohttp.ClientTimeout(total=FORWARD_TIMEOUT_SECONDS),
                ) as answer:
                    if answer.status == 200:
                        logger.warning("whatsapp webhook passed to %s: inbox unavailable", url)
                        return _answer(rules.OK)
                    logger.warning("whatsapp webhook refused by %s: HTTP %d", url, answer.status)
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                logger.warning("whatsapp webhook not passed to %s: %s", url, type(exc).__name__)
        logger.error("whatsapp webhook neither stored nor passed on: 503, Meta delivers it again")
        return web.Response(text="unavailable", status=503)


def _answer(answer: rules.Answer) -> web.Response:
    return web.Response(text=answer.text, status=answer.status)


def main() -> None:
    logs.install(tensorflow=False)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    s = config.settings
    metrics.serve()
    web.run_app(
        Gateway().app(),
        host=s.whatsapp_gateway_host,
        port=s.whatsapp_gateway_port,
        access_log=None,
        print=None,
    )


if __name__ == "__main__":
    main()
