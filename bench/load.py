"""Short load on a running line: REST turn latency and throughput at several
concurrency levels, the memory of the Rasa and action-server processes, and (when
WHATSAPP_APP_SECRET is set) how fast the WhatsApp webhook acknowledges under load.

Bounded on purpose — loopback only, each level stops at --requests or --seconds —
so it can run beside other work (docs/bench.md). `make bench` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import ipaddress
import json
import random
import socket
import time
import uuid
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Optional, Sequence
from urllib.parse import urlsplit

import aiohttp

from bench.keyword_baseline import load_examples
from line.core import settings as config

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_PAYLOAD = ROOT / "tests" / "channels" / "payloads" / "text.json"
# A person rarely sends one message: a few turns per fresh sender keeps trackers realistic.
TURNS_PER_SENDER = 3
TIMEOUT_SECONDS = 30


def percentile(values: Sequence[float], q: float) -> Optional[float]:
    """Linear interpolation between closest ranks (numpy's default), None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(latencies: Sequence[float], errors: int, elapsed: float) -> Dict[str, float]:
    """Throughput counts answered turns only: a fast error is not served traffic."""
    ms = [1000 * s for s in latencies]
    return {
        "requests": len(latencies) + errors,
        "errors": errors,
        "throughput": len(latencies) / elapsed if elapsed > 0 else 0.0,
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
    }


def message_mix(seed: int = 2026) -> List[str]:
    """The held-out test messages: how people really write, in every intent's share."""
    texts = [text for text, _ in load_examples(ROOT / "tests" / "nlu")]
    random.Random(seed).shuffle(texts)
    return texts


def require_loopback(url: str) -> None:
    """A load run is never pointed at someone else's server."""
    host = urlsplit(url).hostname or ""
    addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    if not addresses or not all(ipaddress.ip_address(a).is_loopback for a in addresses):
        raise SystemExit(f"{url}: only loopback servers are benchmarked")


def _argv(pid: str) -> List[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def role_of(argv: Sequence[str]) -> Optional[str]:
    """'rasa' for `rasa run`, 'actions' for `rasa run actions` or `-m rasa_sdk`."""
    if "rasa_sdk" in argv:
        return "actions"
    for i, arg in enumerate(argv[:-1]):
        if Path(arg).name == "rasa" and argv[i + 1] == "run":
            return "actions" if argv[i + 2 : i + 3] == ["actions"] else "rasa"
    return None


def rss_mb(pid: str) -> Optional[float]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def process_rss(keep: Callable[[Sequence[str]], bool] = lambda argv: True) -> Dict[str, list]:
    """Resident memory (MB) of each Rasa server and action server on this machine."""
    found: Dict[str, list] = {"rasa": [], "actions": []}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            argv = _argv(entry.name)
            role = role_of(argv)
            rss = rss_mb(entry.name) if role and keep(argv) else None
            if rss is not None:
                found[role].append(round(rss, 1))
    return found


async def _turn(session: aiohttp.ClientSession, url: str, sender: str, text: str) -> bool:
    async with session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as resp:
        return resp.status == 200 and isinstance(await resp.json(content_type=None), list)


class Timings:
    """Latencies of the requests that succeeded, and how many failed."""

    def __init__(self) -> None:
        self.latencies: List[float] = []
        self.errors = 0

    async def time(self, request: Awaitable[bool]) -> None:
        start = time.perf_counter()
        try:
            ok = await request
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        if ok:
            self.latencies.append(time.perf_counter() - start)
        else:
            self.errors += 1

    def summary(self, elapsed: float) -> Dict[str, float]:
        return summarize(self.latencies, self.errors, elapsed)


async def run_level(
    session: aiohttp.ClientSession,
    url: str,
    concurrency: int,
    texts: Sequence[str],
    max_requests: int,
    max_seconds: float,
) -> Dict:
    """`concurrency` people writing at once until either bound is reached."""
    timings = Timings()
    counter = iter(range(max_requests))
    deadline = time.monotonic() + max_seconds

    async def person() -> None:
        turns, sender = 0, ""
        for n in counter:
            if time.monotonic() > deadline:
                return
            if turns % TURNS_PER_SENDER == 0:
                sender = f"bench-{uuid.uuid4().hex}"
            turns += 1
            await timings.time(_turn(session, url, sender, texts[n % len(texts)]))

    start = time.monotonic()
    await asyncio.gather(*(person() for _ in range(concurrency)))
    return {"concurrency": concurrency, **timings.summary(time.monotonic() - start)}


def signed_webhook(secret: str, phone_number_id: str, text: str) -> tuple[bytes, str]:
    """A Meta-shaped text message from a fresh number, signed like Meta signs it."""
    body = json.loads(WEBHOOK_PAYLOAD.read_text().replace("{{now}}", str(int(time.time()))))
    value = body["entry"][0]["changes"][0]["value"]
    phone = f"519{random.randrange(10**8):08d}"
    value["metadata"]["phone_number_id"] = phone_number_id or value["metadata"]["phone_number_id"]
    value["contacts"][0]["wa_id"] = phone
    value["messages"][0].update(
        {"from": phone, "id": f"wamid.bench{uuid.uuid4().hex}", "text": {"body": text}}
    )
    raw = json.dumps(body).encode()
    return raw, "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


async def webhook_acks(
    session: aiohttp.ClientSession,
    url: str,
    texts: Sequence[str],
    until: asyncio.Event,
    secret: str,
    phone_number_id: str,
) -> Dict:
    """Meta retries slow acknowledgements, so the time to the 200 matters, not the answer."""
    timings = Timings()
    n = 0

    async def acknowledged(body: bytes, signature: str) -> bool:
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
        async with session.post(
            f"{url}/webhooks/whatsapp/webhook", data=body, headers=headers
        ) as resp:
            return resp.status == 200

    while not until.is_set():
        body, signature = signed_webhook(secret, phone_number_id, texts[n % len(texts)])
        n += 1
        await timings.time(acknowledged(body, signature))
        await asyncio.sleep(0.1)
    return timings.summary(1.0)


async def run(
    url: str,
    levels: Sequence[int],
    max_requests: int,
    max_seconds: float,
    webhook: bool = True,
    whatsapp_url: Optional[str] = None,
) -> Dict:
    """Every level in turn, then the busiest again with WhatsApp posts timed at
    `whatsapp_url` (the gateway) or else at `url`. Rasa answers those posts too, so that
    run is kept out of `levels`, which stay comparable with the floor's."""
    texts = message_mix()
    secret = config.settings.whatsapp_app_secret if webhook else ""
    phone_id = config.settings.whatsapp_phone_number_id
    whatsapp_url = whatsapp_url or url
    results: Dict = {
        "url": url,
        "bounds": {"requests": max_requests, "seconds": max_seconds},
        "levels": [],
        "webhook_ack": None,
        "whatsapp_url": whatsapp_url,
    }
    timeout = aiohttp.ClientTimeout(total=TIMEOUT_SECONDS)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=0)
    ) as session:
        await _turn(session, url, f"bench-warmup-{uuid.uuid4().hex}", texts[0])
        for level in levels:
            results["levels"].append(
                await run_level(session, url, level, texts, max_requests, max_seconds)
            )
        if secret and levels:
            level = max(levels)
            done = asyncio.Event()
            acks = asyncio.create_task(
                webhook_acks(session, whatsapp_url, texts, done, secret, phone_id)
            )
            rest = await run_level(session, url, level, texts, max_requests, max_seconds)
            done.set()
            ack = await acks
            ack.pop("throughput")
            results["webhook_ack"] = {"concurrency": level, **ack, "rest": rest}
    results["rss_mb"] = process_rss()
    return results


def _ms(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(results: Dict) -> str:
    lines = [
        f"{'conc':>4} {'requests':>8} {'errors':>6} {'msg/s':>7} "
        f"{'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}"
    ]
    for r in results["levels"]:
        lines.append(
            f"{r['concurrency']:>4} {r['requests']:>8} {r['errors']:>6} "
            f"{r['throughput']:>7.1f} {_ms(r['p50_ms']):>7} {_ms(r['p95_ms']):>7} "
            f"{_ms(r['p99_ms']):>7}"
        )
    ack = results.get("webhook_ack")
    lines.append(
        f"webhook ack ({results.get('whatsapp_url')}): "
        + (
            f"{ack['requests']} posts beside REST concurrency {ack['concurrency']}, "
            f"{ack['errors']} errors, p50 {_ms(ack['p50_ms'])} ms, p95 {_ms(ack['p95_ms'])} ms; "
            f"REST meanwhile {ack['rest']['throughput']:.1f} msg/s, "
            f"p95 {_ms(ack['rest']['p95_ms'])} ms"
            if ack
            else "not measured (WHATSAPP_APP_SECRET unset)"
        )
    )
    for role, sizes in results.get("rss_mb", {}).items():
        lines.append(f"RSS {role}: " + (", ".join(f"{mb:.0f} MB" for mb in sizes) or "none"))
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> Dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument(
        "--levels", default="1,4,8,16", type=lambda s: [int(n) for n in s.split(",")]
    )
    parser.add_argument("--requests", type=int, default=150, help="per level, at most")
    parser.add_argument("--seconds", type=float, default=8.0, help="per level, at most")
    parser.add_argument(
        "--whatsapp-url",
        help="where the WhatsApp acknowledgement is timed: "
        "the gateway (make bench passes :5007); default --url",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")
    whatsapp_url = (args.whatsapp_url or url).rstrip("/")
    require_loopback(url)
    require_loopback(whatsapp_url)
    results = asyncio.run(
        run(url, args.levels, args.requests, args.seconds, whatsapp_url=whatsapp_url)
    )
    print(table(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()
