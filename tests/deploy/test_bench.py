"""The statistics and plumbing of bench/load.py and bench/floor.py, without a server."""

import asyncio
import dataclasses
import hashlib
import hmac
import json

import aiohttp
import pytest
from aiohttp import web

from bench import floor, load
from line.core import settings as config
from tests.support.net import free_port


def test_percentiles_interpolate_between_ranks():
    values = [1, 2, 3, 4]
    assert load.percentile(values, 50) == 2.5
    assert load.percentile(values, 0) == 1 and load.percentile(values, 100) == 4
    assert load.percentile([7], 95) == 7
    assert load.percentile([], 95) is None
    assert load.percentile(list(range(1, 101)), 95) == pytest.approx(95.05)


def test_summary_counts_only_answered_turns_in_throughput():
    summary = load.summarize([0.1, 0.2, 0.3, 0.4], errors=2, elapsed=2.0)
    assert summary["requests"] == 6 and summary["errors"] == 2
    assert summary["throughput"] == 2.0
    assert summary["p50_ms"] == pytest.approx(250)


def test_processes_are_told_apart_by_command_line():
    assert load.role_of(["/v/bin/python", ".venv/bin/rasa", "run", "--enable-api"]) == "rasa"
    assert load.role_of(["/v/bin/python", ".venv/bin/rasa", "run", "actions"]) == "actions"
    assert load.role_of(["python", "-m", "rasa_sdk", "--actions", "actions"]) == "actions"
    assert load.role_of(["/v/bin/python", ".venv/bin/rasa", "train"]) is None


def test_own_memory_is_read_from_proc():
    assert load.rss_mb("self") > 1


def test_only_loopback_servers_are_loaded():
    load.require_loopback("http://localhost:5005")
    with pytest.raises(SystemExit):
        load.require_loopback("http://192.0.2.1:5005")


def test_webhook_payloads_are_signed_like_meta_signs_them():
    body, signature = load.signed_webhook("app-secret", "109", "hola")
    assert signature == "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
    message = json.loads(body)["entry"][0]["changes"][0]["value"]
    assert message["metadata"]["phone_number_id"] == "109"
    assert message["messages"][0]["text"]["body"] == "hola"


def test_the_message_mix_is_the_held_out_test_data():
    texts = load.message_mix()
    assert len(texts) > 100 and len(set(texts)) > 100


def test_a_level_is_bounded_and_counts_errors():
    """A stand-in REST channel that fails every third message."""
    senders, seen = set(), []

    async def webhook(request):
        body = await request.json()
        senders.add(body["sender"])
        seen.append(body["message"])
        if len(seen) % 3 == 0:
            return web.Response(status=500)
        return web.json_response([{"recipient_id": body["sender"], "text": "ok"}])

    async def scenario():
        app = web.Application()
        app.router.add_post("/webhooks/rest/webhook", webhook)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            async with aiohttp.ClientSession() as session:
                return await load.run_level(
                    session,
                    f"http://127.0.0.1:{port}",
                    4,
                    ["a", "b"],
                    max_requests=30,
                    max_seconds=10,
                )
        finally:
            await runner.cleanup()

    result = asyncio.run(scenario())
    assert result["requests"] == 30 and result["errors"] == 10
    assert result["concurrency"] == 4 and result["throughput"] > 0
    # Fresh people, a few turns each.
    assert len(senders) >= 30 // load.TURNS_PER_SENDER


def test_the_whatsapp_acknowledgement_is_timed_at_its_own_url(monkeypatch):
    """make bench times the gateway while the REST turns load Rasa."""
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(
            config.settings, whatsapp_app_secret="s", whatsapp_phone_number_id="109"
        ),
    )
    hits = {"rest": 0, "gateway": 0}

    async def rest(request):
        hits["rest"] += 1
        await asyncio.sleep(0.05)
        return web.json_response([])

    async def gateway(request):
        hits["gateway"] += 1
        return web.Response(text="ok")

    async def serve(route, handler):
        app = web.Application()
        app.router.add_post(route, handler)
        runner = web.AppRunner(app)
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner, f"http://127.0.0.1:{port}"

    async def scenario():
        rasa, rasa_url = await serve("/webhooks/rest/webhook", rest)
        gate, gate_url = await serve("/webhooks/whatsapp/webhook", gateway)
        try:
            return await load.run(
                rasa_url, [2], max_requests=20, max_seconds=2, whatsapp_url=gate_url
            ), gate_url
        finally:
            await rasa.cleanup()
            await gate.cleanup()

    result, gate_url = asyncio.run(scenario())
    assert result["whatsapp_url"] == gate_url
    assert result["webhook_ack"]["requests"] == hits["gateway"] >= 1
    assert result["webhook_ack"]["errors"] == 0 and hits["rest"] > 0


def test_floor_ratios_per_level_and_memory():
    ours = {
        "levels": [{"concurrency": 1, "p95_ms": 130.0}, {"concurrency": 4, "p95_ms": None}],
        "rss_mb": {"rasa": [900.0, 880.0]},
    }
    base = {
        "levels": [{"concurrency": 1, "p95_ms": 100.0}, {"concurrency": 4, "p95_ms": 50}],
        "rss_mb": {"rasa": [600.0]},
    }
    assert floor.ratios(ours, base) == {"p95": {"1": 1.3}, "rss": 1.5}
