"""Broadcasts against the fake Graph API, on SQLite and PostgreSQL: who gets a message and
in which form, approval, quiet hours, the rate and the daily tier on a fixed clock, a
crash and two senders without a duplicate, the automatic stop, and Meta's statuses."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from line.alerts import broadcasts, subscriptions
from line.alerts.broadcasts import AlertError, Draft
from line.alerts.worker import Outcome, Worker
from line.core import pseudonyms
from line.core import settings as config
from line.core.db import session_scope
from line.feedback import erasure, report
from line.handoff import accounts
from line.handoff.outbound import RestOutbox
from line.whatsapp import store
from line.whatsapp import webhook as rules
from tests.support.clock import FixedClock, without_quiet_hours
from tests.support.net import wait_until
from tests.support.whatsapp import PHONE_NUMBER_ID, GatewayThread, configured, payload, say

# Monday 7 December 2026, 10:00 in Lima (UTC-5): outside the quiet hours.
START = datetime(2026, 12, 7, 15, 0)
CONSENT = "¿Quieres que te avisemos si hay novedades? Responde SÍ para aceptar."
PASSWORD = "PASSWORD-largo"
VALUES = {"tema": "Vacunas", "novedad": "Hay campaña de vacunación esta semana."}


class Recording:
    """A channel that records when each person was sent to, on the sender's clock."""

    def __init__(self, clock: FixedClock):
        self.clock, self.sent = clock, []
        self.lock = threading.Lock()

    def send(self, pseudonym, template, values, now):
        with self.lock:
            self.sent.append((pseudonym, self.clock.monotonic(), now))
        return Outcome(True, broadcasts.TEMPLATE, message_id=f"wamid.{pseudonym}")


@pytest.fixture
def line(migrated, graph, monkeypatch):
    """WhatsApp against the fake Graph API on SQLite and PostgreSQL, two coordinators
    (coco, lola) and an operator (ana)."""
    monkeypatch.setattr(
        config,
        "settings",
        dataclasses.replace(configured(migrated, graph.url), tracker_db_url=migrated),
    )
    for name, role in (("coco", "coordinator"), ("lola", "coordinator"), ("ana", "operator")):
        accounts.create(name, PASSWORD, role)
    return graph


@pytest.fixture
def on_the_real_clock(line, monkeypatch):
    """For tests that go through the webhook or the reply window on the real clock: no quiet
    hours, so they pass at any hour of the day."""
    without_quiet_hours(monkeypatch)
    return line


def settings(**changes):
    """The sender's settings with some changed (rate, tier, quiet hours...)."""
    return dataclasses.replace(config.settings, **changes)


def person(
    n: int,
    region="Lima",
    topics=("covid_vaccine",),
    wrote_ago=timedelta(days=3),
    subscribed=True,
    at=START,
) -> str:
    """A person who wrote to the line `wrote_ago` before `at`, subscribed or not."""
    phone = f"51900{n:06d}"
    pseudonym = pseudonyms.pseudonym(phone)
    store.record_inbound(pseudonym, phone, at - wrote_ago)
    if subscribed:
        subscriptions.subscribe(
            pseudonym, "whatsapp", CONSENT, topics, region, now=at - timedelta(days=4)
        )
    return pseudonym


def phone_of(n: int) -> str:
    return f"51900{n:06d}"


def approved(regions=(), topics=(), at=START, template="aviso_novedad", values=VALUES) -> int:
    broadcast_id = broadcasts.create(Draft("coco", template, values, at, regions, topics), now=at)
    broadcasts.approve(broadcast_id, "lola", now=at)
    return broadcast_id


def drain(worker: Worker, limit=10_000) -> None:
    for _ in range(limit):
        if not worker.run_once():
            return
    raise AssertionError("the sender never ran out of work")


def recipients(graph) -> Counter:
    return Counter(body["to"] for body in graph.sent)


def test_a_template_outside_the_window_and_the_same_words_as_text_inside_it(line):
    away = person(1, wrote_ago=timedelta(days=2))
    person(2, wrote_ago=timedelta(hours=1))
    subscriptions.subscribe("rest-tester", "rest", CONSENT, (), None, now=START)
    broadcast_id = approved()
    drain(Worker(clock=FixedClock(START)))

    by_phone = {body["to"]: body for body in line.sent}
    assert set(by_phone) == {phone_of(1), phone_of(2)}
    template = by_phone[phone_of(1)]
    assert template["type"] == "template"
    assert template["template"]["name"] == "aviso_novedad"
    assert template["template"]["language"] == {"code": "es"}
    assert [p["text"] for p in template["template"]["components"][0]["parameters"]] == [
        VALUES["tema"],
        VALUES["novedad"],
    ]
    text = by_phone[phone_of(2)]
    assert text["type"] == "text"
    assert VALUES["novedad"] in text["text"]["body"] and "{{" not in text["text"]["body"]
    assert RestOutbox.received("rest-tester") == [text["text"]["body"]]
    figures = broadcasts.statistics(broadcast_id)
    assert (figures.status, figures.audience, figures.sent) == (broadcasts.DONE, 3, 3)
    assert away  # the person outside the window was sent the template, not text


def test_nobody_outside_the_audience_unsubscribed_or_opted_out_gets_anything(line):
    reached = [person(1), person(2, region=None), person(3, topics=())]
    person(4, region="Tacna")
    person(5, topics=("shelter",))
    person(6, subscribed=False)
    gone = person(7)
    subscriptions.opt_out(gone, now=START - timedelta(days=1))
    late = person(8)  # opts out after the broadcast was queued, before it reaches them

    audience = subscriptions.Audience(("Lima",), ("covid_vaccine",))
    assert subscriptions.count(audience) == 4
    broadcast_id = approved(regions=["Lima"], topics=["covid_vaccine"])
    assert broadcasts.start_due(START) == [broadcast_id]
    assert subscriptions.opt_out(late, now=START)
    drain(Worker(clock=FixedClock(START)))

    assert recipients(line) == Counter({phone_of(n): 1 for n in (1, 2, 3)})
    figures = broadcasts.statistics(broadcast_id)
    assert (figures.audience, figures.sent, figures.skipped) == (4, 3, 1)
    assert reached


def test_nothing_goes_before_a_second_coordinator_approves(line):
    person(1)
    broadcast_id = broadcasts.create(Draft("coco", "aviso_novedad", VALUES, START), now=START)
    worker = Worker(clock=FixedClock(START + timedelta(hours=1)))
    drain(worker)
    assert line.sent == []
    for approver, code in (
        ("coco", "own_broadcast"),
        ("ana", "not_coordinator"),
        ("nadie", "not_coordinator"),
    ):
        with pytest.raises(AlertError) as refused:
            broadcasts.approve(broadcast_id, approver)
        assert refused.value.code == code
    with pytest.raises(AlertError) as refused:
        broadcasts.create(Draft("ana", "aviso_novedad", VALUES, START), now=START)
    assert refused.value.code == "not_coordinator"
    drain(worker)
    assert line.sent == []
    broadcasts.approve(broadcast_id, "lola")
    drain(worker)
    assert recipients(line) == Counter({phone_of(1): 1})
    with pytest.raises(AlertError) as refused:
        broadcasts.approve(broadcast_id, "lola")
    assert refused.value.code == "not_awaiting_approval"


def test_cancel_until_it_starts_and_pause_and_resume_while_it_runs(line):
    for n in range(6):
        person(n)
    cancelled = approved()
    broadcasts.cancel(cancelled)
    drain(Worker(clock=FixedClock(START)))
    assert line.sent == []

    clock = FixedClock(START)
    worker = Worker(clock=clock, cfg=settings(alerts_rate_per_second=2.0))
    running = approved()
    assert worker.run_once()  # the first batch of two
    with pytest.raises(AlertError) as refused:
        broadcasts.cancel(running)
    assert refused.value.code == "already_started"
    broadcasts.pause(running)
    drain(worker)
    assert len(line.sent) == 2
    broadcasts.resume(running)
    drain(worker)
    assert recipients(line) == Counter({phone_of(n): 1 for n in range(6)})
    assert broadcasts.get(running).status == broadcasts.DONE


def test_quiet_hours_hold(line):
    # 20:59:57 in Lima: three seconds before the quiet hours.
    evening = datetime(2026, 12, 8, 1, 59, 57)
    with pytest.raises(AlertError) as refused:
        broadcasts.create(
            Draft("coco", "aviso_novedad", VALUES, evening + timedelta(minutes=5)), now=evening
        )
    assert refused.value.code == "quiet_hours"
    people = [person(n, at=evening) for n in range(10)]
    approved(at=evening)
    clock = FixedClock(evening)
    channel = Recording(clock)
    worker = Worker({"whatsapp": channel}, clock, cfg=settings(alerts_rate_per_second=1.0))
    drain(worker)
    assert 0 < len(channel.sent) < len(people)
    assert all(not broadcasts.quiet(now) for _, _, now in channel.sent)
    clock.move(hours=5)  # 02:00 in Lima: still quiet
    drain(worker)
    assert all(not broadcasts.quiet(now) for _, _, now in channel.sent)
    assert len(channel.sent) < len(people)
    clock.move(hours=6)  # 08:00 in Lima
    drain(worker)
    assert sorted(p for p, _, _ in channel.sent) == sorted(people)


def test_the_rate_is_held_on_the_sender_s_clock(line):
    people = [person(n) for n in range(200)]
    approved()
    clock = FixedClock(START)
    channel = Recording(clock)
    rate = 20.0
    worker = Worker({"whatsapp": channel}, clock, cfg=settings(alerts_rate_per_second=rate))
    granted, take = [], worker.bucket.take
    worker.bucket.take = lambda: (take(), granted.append(clock.monotonic()))
    drain(worker)
    assert sorted(p for p, _, _ in channel.sent) == sorted(people)
    assert len(granted) == len(people)  # each message waited for its token
    burst = worker.bucket.capacity
    # In any second, no more than the rate and the bucket's small burst.
    for i, begin in enumerate(granted):
        within = sum(1 for t in granted[i:] if t < begin + 1.0)
        assert within <= rate + burst
    # And not slower than the rate either: the whole took what the rate says.
    assert granted[-1] == pytest.approx((len(people) - burst) / rate, rel=0.02)


def test_the_daily_tier_is_never_passed(line):
    for n in range(260):
        person(n)
    approved()
    clock = FixedClock(START)
    channel = Recording(clock)
    worker = Worker(
        {"whatsapp": channel},
        clock,
        cfg=settings(alerts_rate_per_second=100.0, alerts_daily_cap=250),
    )
    drain(worker)
    assert len(channel.sent) == 250
    clock.move(hours=24, seconds=10)
    drain(worker)
    assert len(channel.sent) == 260 and len({p for p, _, _ in channel.sent}) == 260


def test_a_sender_that_died_mid_broadcast_is_taken_over_without_a_duplicate(line):
    for n in range(30):
        person(n)
    broadcast_id = approved()
    clock = FixedClock(START)
    dying = Worker(clock=clock)
    broadcasts.start_due(START)
    # It claims a batch, sends the first message and dies before saying so.
    token, rows = broadcasts.claim(broadcast_id, 10, dying.lease, START)
    assert broadcasts.go(rows[0].id, token, dying.lease, START) is None
    outcome = dying.channels["whatsapp"].send(
        rows[0].pseudonym, dying.register["aviso_novedad"], VALUES, START
    )
    assert outcome.ok
    dying.pool.shutdown()

    clock.move(seconds=dying.lease.total_seconds() + 1)
    drain(Worker(clock=clock))
    assert recipients(line) == Counter({phone_of(n): 1 for n in range(30)})
    figures = broadcasts.statistics(broadcast_id)
    assert (figures.status, figures.sent, figures.unconfirmed) == (broadcasts.DONE, 29, 1)


def test_two_senders_at_once_send_each_person_one_message(on_the_real_clock):
    line = on_the_real_clock
    people = 300
    for n in range(people):
        person(n, at=datetime.utcnow())
    broadcast_id = broadcasts.create(
        Draft("coco", "aviso_novedad", VALUES, datetime.utcnow()), now=datetime.utcnow()
    )
    broadcasts.approve(broadcast_id, "lola")
    fast = settings(alerts_rate_per_second=500.0, alerts_concurrency=4, alerts_poll_seconds=0.05)
    workers = [Worker(cfg=fast), Worker(cfg=fast)]
    for worker in workers:
        worker.cap = 100_000
    threads = [threading.Thread(target=w.run) for w in workers]
    for thread in threads:
        thread.start()
    try:
        assert wait_until(lambda: broadcasts.get(broadcast_id).status == broadcasts.DONE, 120)
    finally:
        for worker in workers:
            worker.stop.set()
        for thread in threads:
            thread.join(30)
    assert recipients(line) == Counter({phone_of(n): 1 for n in range(people)})


def test_it_stops_by_itself_when_too_many_messages_fail(line):
    for n in range(100):
        person(n)
    refused = (400, {"error": {"code": 131026, "message": "undeliverable"}}, 0, {})
    line.script.extend([refused] * 30)
    broadcast_id = approved()
    worker = Worker(clock=FixedClock(START), cfg=settings(alerts_rate_per_second=10.0))
    drain(worker)
    stopped = broadcasts.get(broadcast_id)
    assert (stopped.status, stopped.stop_reason) == (
        broadcasts.HALTED,
        broadcasts.TOO_MANY_FAILURES,
    )
    assert [b.id for b in broadcasts.needing_attention()] == [broadcast_id]
    figures = broadcasts.statistics(broadcast_id)
    assert figures.failed == 30 and figures.sent == 0 and figures.waiting == 70
    # A coordinator who understood the cause resumes it; the rest go, once.
    broadcasts.resume(broadcast_id, now=worker.clock.now())
    drain(worker)
    assert broadcasts.get(broadcast_id).status == broadcasts.DONE
    assert len(line.sent) == 70 and len(line.attempts) == 100


def test_status_webhooks_replies_and_opt_outs_reach_the_figures(on_the_real_clock):
    line = on_the_real_clock
    now = datetime.utcnow()
    people = [person(n, at=now) for n in range(4)]
    broadcast_id = broadcasts.create(Draft("coco", "aviso_novedad", VALUES, now), now=now)
    broadcasts.approve(broadcast_id, "lola")
    drain(Worker())
    ids = {body["to"]: f"wamid.out.{n}" for n, body in enumerate(line.sent, start=1)}

    def statuses(*changes) -> bytes:
        body = json.loads(payload("status.json"))
        value = body["entry"][0]["changes"][0]["value"]
        value["statuses"] = [
            {"id": ids[phone_of(n)], "status": status, "timestamp": str(int(time.time()))}
            for n, status in changes
        ]
        return json.dumps(body).encode()

    gateway = GatewayThread()
    try:
        response = gateway.post(
            statuses((0, "delivered"), (1, "delivered"), (1, "read"), (2, "read"), (3, "failed"))
        )
        assert response.status_code == 200
        say(gateway, "gracias por el aviso", phone_of(0), url=gateway.url)
        assert gateway.idle()
    finally:
        gateway.stop()
    subscriptions.opt_out(people[1])
    figures = broadcasts.statistics(broadcast_id)
    assert (figures.sent, figures.delivered, figures.read, figures.failed) == (3, 3, 2, 1)
    assert (figures.replies_24h, figures.opt_outs_24h) == (1, 1)
    # A status for a message that is no broadcast's changes nothing.
    assert rules.note_statuses(json.loads(payload("status.json")), PHONE_NUMBER_ID) == 1
    assert broadcasts.statistics(broadcast_id) == figures
    assert [row.id for row, _ in broadcasts.report()] == [broadcast_id]


def test_a_reply_names_the_broadcast_it_answers_for_a_day(on_the_real_clock):
    now = datetime.utcnow()
    reached, missed = person(0, at=now), person(1, at=now, topics=("shelter",))
    broadcast_id = approved(topics=("covid_vaccine",), at=now)
    drain(Worker())
    later = datetime.utcnow() + timedelta(minutes=5)
    assert broadcasts.replied_broadcast(reached, later) == broadcast_id
    assert broadcasts.replied_broadcast(missed, later) is None  # outside the audience
    assert broadcasts.replied_broadcast(reached, later + timedelta(days=1)) is None
    assert broadcasts.replied_broadcast(reached, now - timedelta(minutes=5)) is None


def test_the_feedback_report_shows_each_broadcast(line, tmp_path, monkeypatch):
    monkeypatch.setattr(
        config, "settings", settings(tracker_db_url=f"sqlite:///{tmp_path / 'none.db'}")
    )
    person(1)
    approved()
    drain(Worker(clock=FixedClock(START)))
    html = (report.build(tmp_path / "report").folder / "index.html").read_text(encoding="utf-8")
    assert "Avisos enviados" in html and "aviso_novedad" in html


def test_erasure_and_retention_forget_subscriptions(line):
    erased, gone = person(1), person(2)
    broadcast_id = approved()
    drain(Worker(clock=FixedClock(START)))
    erasure.request(erased)
    assert subscriptions.subscriber(erased) is None
    with session_scope() as session:
        kept = set(session.execute(select(broadcasts.Recipient.pseudonym)).scalars())
    assert erased not in kept and gone in kept
    subscriptions.opt_out(gone, now=START)
    assert broadcasts.purge(START + timedelta(days=179), 180) == 0
    assert broadcasts.purge(START + timedelta(days=181), 180) == 3
    assert subscriptions.subscriber(gone) is None
    assert broadcasts.statistics(broadcast_id).audience == 2
