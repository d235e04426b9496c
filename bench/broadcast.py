"""`make bench-broadcast`: one broadcast to 10,000 subscribers against the fake Graph API.

The sender runs as its own process (`python -m line.alerts.worker`) on a throwaway SQLite
database; the fake Graph API (tests/support/whatsapp.py) runs here and stamps each message
it takes. Reported: messages a second against the configured rate, the sender's memory
over time (it must stay flat), the time from approval to the first message, and whether
every subscriber got exactly one message (no duplicates, no gaps). Quiet hours are off
and the tier is the highest, so the run measures the sender, not the calendar.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert

from line.alerts import broadcasts
from line.alerts.broadcasts import Draft
from line.alerts.subscriptions import Subscription
from line.core import db, pseudonyms
from line.core import settings as config
from line.core.db import session_scope, utc_now
from line.handoff import accounts
from line.whatsapp.store import WhatsAppContact
from tests.support.whatsapp import PHONE_NUMBER_ID, PSEUDONYM_SECRET, FakeGraph

ROOT = Path(__file__).resolve().parent.parent
CONSENT = "¿Quieres recibir avisos de la línea? (bench)"
VALUES = {"tema": "Prueba de carga", "novedad": "Mensaje de prueba del banco de medida."}
# A tenth of the people wrote within the last day: they get text, the rest the template.
IN_WINDOW_EVERY = 10


class Stamped(list):
    """The fake Graph API's list of messages taken, with the time each arrived."""

    def __init__(self):
        super().__init__()
        self.times = []

    def append(self, item):
        self.times.append(time.monotonic())
        super().append(item)


def phone(n: int) -> str:
    return f"51910{n:06d}"


def subscribers(people: int) -> None:
    now = utc_now()
    contacts, subs = [], []
    for n in range(people):
        pseudonym = pseudonyms.pseudonym(phone(n))
        wrote = timedelta(hours=1) if n % IN_WINDOW_EVERY == 0 else timedelta(days=3)
        contacts.append({"pseudonym": pseudonym, "phone": phone(n), "last_inbound_at": now - wrote})
        subs.append(
            {
                "pseudonym": pseudonym,
                "channel": "whatsapp",
                "topics": "[]",
                "region": None,
                "consent_text": CONSENT,
                "subscribed_at": now - timedelta(days=4),
            }
        )
    with session_scope() as session:
        session.execute(insert(WhatsAppContact), contacts)
        session.execute(insert(Subscription), subs)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(people: int, rate: float, concurrency: int, timeout: float) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    url = f"sqlite:///{folder / 'line.db'}"
    graph = FakeGraph()
    graph.sent = Stamped()
    env = config.child_environment(
        config.PROJECT_ROOT,
        **{
            "DIRECTORY_DB_URL": url,
            "TRACKER_DB_URL": url,
            "WHATSAPP_API_URL": graph.url,
            "WHATSAPP_ACCESS_TOKEN": "bench",
            "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
            "PSEUDONYM_SECRET": PSEUDONYM_SECRET,
            "ALERTS_RATE": str(rate),
            "ALERTS_CONCURRENCY": str(concurrency),
            "ALERTS_TIER": "100000",
            "ALERTS_QUIET_START": "0",
            "ALERTS_QUIET_END": "0",
            "ALERTS_POLL": "0.2",
        },
    )
    config.settings = dataclasses.replace(
        config.settings, database_url=url, tracker_db_url=url, pseudonym_secret=PSEUDONYM_SECRET
    )
    db.migrate(url)
    subscribers(people)
    for name in ("bench-a", "bench-b"):
        accounts.create(name, "bench-password-1", accounts.COORDINATOR)
    worker = subprocess.Popen(
        [sys.executable, "-m", "line.alerts.worker"],
        env=env,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = threading.Event()

    def read_log():
        for line in worker.stderr:
            if "broadcast sender:" in line:
                ready.set()

    threading.Thread(target=read_log, daemon=True).start()
    if not ready.wait(60):
        worker.kill()
        raise SystemExit("the sender did not start")
    memory = [(0.0, rss_mb(worker.pid))]
    broadcast_id = broadcasts.create(Draft("bench-a", "aviso_novedad", VALUES, utc_now()))
    broadcasts.approve(broadcast_id, "bench-b")
    approved = time.monotonic()
    status = broadcasts.APPROVED
    try:
        while time.monotonic() - approved < timeout:
            time.sleep(1.0)
            memory.append((time.monotonic() - approved, rss_mb(worker.pid)))
            status = broadcasts.get(broadcast_id).status
            if status in (broadcasts.DONE, broadcasts.HALTED):
                break
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        graph.close()
    times = list(graph.sent.times)
    sent_to = Counter(body["to"] for body in graph.sent)
    kinds = Counter(body["type"] for body in graph.sent)
    figures = broadcasts.statistics(broadcast_id)
    steady = times[len(times) // 10 :] if len(times) > 20 else times
    return {
        "people": people,
        "configured_rate": rate,
        "concurrency": concurrency,
        "status": status,
        "messages": len(times),
        "templates": kinds.get("template", 0),
        "texts": kinds.get("text", 0),
        "seconds_first_to_last": round(times[-1] - times[0], 2) if times else None,
        "messages_per_second": round((len(times) - 1) / (times[-1] - times[0]), 1)
        if len(times) > 1
        else None,
        "messages_per_second_steady": round((len(steady) - 1) / (steady[-1] - steady[0]), 1)
        if len(steady) > 1
        else None,
        "time_to_first_message_s": round(times[0] - approved, 2) if times else None,
        "duplicates": sum(1 for count in sent_to.values() if count > 1),
        "gaps": sum(1 for n in range(people) if phone(n) not in sent_to),
        "statistics": dataclasses.asdict(figures),
        "memory_mb": [(round(t, 1), round(mb, 1)) for t, mb in memory],
    }


def describe(result: dict) -> str:
    memory = result["memory_mb"]
    samples = [memory[int(i * (len(memory) - 1) / 5)] for i in range(6)]
    after_start = [mb for t, mb in memory[2:]] or [memory[-1][1]]
    return "\n".join(
        [
            f"people {result['people']}, configured rate {result['configured_rate']:.0f}/s, "
            f"{result['concurrency']} in flight: {result['status']}",
            f"messages {result['messages']} ({result['templates']} templates, "
            f"{result['texts']} texts inside the window) in {result['seconds_first_to_last']} s",
            f"messages/s {result['messages_per_second']} overall, "
            f"{result['messages_per_second_steady']} after the first tenth "
            f"(configured {result['configured_rate']:.0f})",
            f"time to first message {result['time_to_first_message_s']} s after approval "
            f"(includes queueing the audience)",
            "sender memory (s, MB): " + ", ".join(f"{t:.0f}: {mb:.1f}" for t, mb in samples),
            f"memory growth after the start: {max(after_start) - min(after_start):.1f} MB",
            f"duplicates {result['duplicates']}, gaps {result['gaps']}",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "bench_broadcast.json")
    args = parser.parse_args()
    result = run(args.people, args.rate, args.concurrency, args.timeout)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print(describe(result))
    ok = result["duplicates"] == 0 and result["gaps"] == 0 and result["status"] == "done"
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
