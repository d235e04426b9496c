"""Simulates a day of the line on Kubernetes: arrivals, Rasa pods, the autoscaler.

    python -m deploy.k8s.simulate                      # the scenarios of docs/scale.md
    python -m deploy.k8s.simulate --per-day 250000 --max-replicas 6 --dispatch pinned

A queue model fed with the measured figures of docs/bench.md, not a load test:

- arrivals: a day's curve for Peru (quiet nights, a morning and an evening hump) plus
  one burst (a broadcast, a news item) sized so that the busiest minute is PEAK times
  the day's mean rate; Poisson arrivals minute by minute;
- a Rasa pod: one event loop that runs one turn's CPU at a time (first come, first
  served), with a turn's service time drawn so that a saturated pod answers ~20 turns/s
  (docs/bench.md, `make run-production`: 19.9-20.4 msg/s) and an idle one answers in
  ~50 ms (p50 51 ms, p99 119 ms at concurrency 1);
- dispatch: `random` (each turn to a ready pod at random, as a Service spreads new
  connections), `round-robin` (ingress-nginx), or `pinned` (every WhatsApp turn to one
  pod: the gateway's kept-alive connection to the Service, docs/scale.md); a turn that
  waits more than WHATSAPP_REPLAY_SECONDS is taken again by another pod's replay and
  answered by whichever finishes first, and twice in all;
- the HorizontalPodAutoscaler of deploy/k8s/base/rasa.yaml: every 15 s, CPU over the
  last minute against 60 % of the 1-CPU request, not-ready pods counted at 0 %, up by
  at most max(2 pods, 100 %) a minute, down after 10 minutes of lower recommendations,
  one pod every 2 minutes; a new pod takes STARTUP seconds (image cached, model load)
  before it takes turns.

It prints, per scenario, latency over the day and in the worst 5 minutes, the pods used,
and what PostgreSQL, Redis and RabbitMQ must carry at that volume.
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional, Sequence

DAY = 86_400

# --- Measured inputs (docs/bench.md unless said) -------------------------------------------
POD_CAPACITY = 20.0  # turns/s of one saturated pod with PostgreSQL, Redis, RabbitMQ
SERVICE_SIGMA = 0.35  # lognormal spread: p99/p50 at concurrency 1 = 119/51 ms
CPU_REQUEST = 1.0  # cores requested by a Rasa pod (base/rasa.yaml)
CPU_PER_BUSY_SECOND = 1.0  # a pod's event loop is one core while it runs a turn
HPA_TARGET = 0.60  # base/rasa.yaml
HPA_PERIOD = 15  # s, the controller's sync period
HPA_WINDOW = 60  # s of CPU averaged (metrics-server's window, rounded up)
HPA_TOLERANCE = 0.10
SCALE_DOWN_WINDOW = 600  # s, behavior.scaleDown.stabilizationWindowSeconds
STARTUP = 90  # s from a new pod to its first turn (model load; tests/production)
REPLAY_SECONDS = 60  # WHATSAPP_REPLAY_SECONDS: a turn older than this is replayed
# by another pod (answered twice)

# Per message (one person's turn), measured on the tracker store of an evaluation run on
# this machine: 22,545 events for 1,857 user messages, 576 bytes of JSON an event; mostly
# one-message conversations, so session starts weigh a little more than in real use.
EVENTS_PER_MESSAGE = 12.1
EVENT_BYTES = 576
ROW_OVERHEAD = 1.3  # PostgreSQL row headers and the events' indexes
# PostgreSQL transactions per WhatsApp message: the gateway's contact + inbox row, the
# claim, the tracker store's save, the inbox row marked done (docs/failures.md), the
# tracker read; plus searches and tickets for some (not counted).
PG_TRANSACTIONS_PER_MESSAGE = 5
# Redis commands per message: the lock store's ticket, check and release (each a short
# transaction, stores/lock_store.py) and the de-duplication SET NX.
REDIS_COMMANDS_PER_MESSAGE = 8
DEDUP_KEY_BYTES = 150  # one seen message id kept 48 h (key, value, expiry, overhead)
DEDUP_HOURS = 48
# Connections a pod may open: Rasa's tracker store pool (SQL_POOL_SIZE 5 + SQL_MAX_OVERFLOW
# 10) and the line's engine (SQLAlchemy's default 5 + 10); other processes the latter.
PG_CONNECTIONS_RASA_POD = 30
PG_CONNECTIONS_OTHER_POD = 15


# --- The day's curve ------------------------------------------------------------------


def base_curve(minute: int) -> float:
    """Relative traffic by Lima time: night low, humps at 10:30 and 19:30."""
    hour = minute / 60
    return (
        0.06
        + 0.9 * math.exp(-(((hour - 10.5) / 2.6) ** 2))
        + 0.8 * math.exp(-(((hour - 19.5) / 2.2) ** 2))
    )


def burst(minute: int, at: float = 12.25 * 60, width: float = 10.0) -> float:
    return math.exp(-0.5 * ((minute - at) / width) ** 2)


def day_curve(peak: float, burst_minutes: float = 10.0) -> List[float]:
    """1,440 factors of the mean rate: mean 1, maximum `peak`."""
    base = [base_curve(m) for m in range(1440)]
    spike = [burst(m, width=burst_minutes) for m in range(1440)]
    mean_base, mean_spike = sum(base) / 1440, sum(spike) / 1440
    top = max(range(1440), key=lambda m: spike[m])
    amplitude = (peak * mean_base - base[top]) / (1 - peak * mean_spike)
    if amplitude < 0:
        amplitude = 0.0
    scale = 1 / (mean_base + amplitude * mean_spike)
    curve = [scale * (b + amplitude * s) for b, s in zip(base, spike, strict=False)]
    return curve


def arrivals(per_day: int, curve: Sequence[float], rng: random.Random) -> List[float]:
    mean_rate = per_day / DAY
    times: List[float] = []
    for minute, factor in enumerate(curve):
        expected = mean_rate * factor * 60
        count = _poisson(expected, rng)
        times.extend(minute * 60 + rng.random() * 60 for _ in range(count))
    times.sort()
    return times


def _poisson(mean: float, rng: random.Random) -> int:
    if mean > 50:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


# --- Pods and the autoscaler ------------------------------------------------------------


@dataclass
class Pod:
    created: float
    ready_at: float
    free_at: float = 0.0
    removed_at: Optional[float] = None

    def ready(self, t: float) -> bool:
        return self.ready_at <= t and (self.removed_at is None or t < self.removed_at)

    def exists(self, t: float) -> bool:
        return self.removed_at is None or t < self.removed_at


@dataclass
class Scenario:
    name: str
    per_day: int
    min_replicas: int
    max_replicas: int
    dispatch: str = "random"
    peak: float = 10.0
    startup: float = STARTUP
    burst_minutes: float = 10.0


@dataclass
class Result:
    name: str
    per_day: int
    mean_rate: float
    peak_rate: float
    dispatch: str
    replicas_min: int
    replicas_max: int
    pod_hours: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    worst_5min_p95_ms: float
    over_1s_pct: float
    replayed: int
    max_wait_s: float
    hourly: List[Dict[str, float]] = field(default_factory=list)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    return values[min(len(values) - 1, int(q * len(values)))]


def simulate(s: Scenario, seed: int = 1) -> Result:
    rng = random.Random(seed)
    curve = day_curve(s.peak, s.burst_minutes)
    times = arrivals(s.per_day, curve, rng)
    mean_service = 1 / POD_CAPACITY
    median = mean_service / math.exp(SERVICE_SIGMA**2 / 2)

    pods = [Pod(created=-s.startup, ready_at=0.0) for _ in range(s.min_replicas)]
    busy_buckets: Dict[int, float] = {}  # busy seconds by 15-s bucket of their start
    recommendations: List[tuple] = []  # (time, desired)
    ups: List[tuple] = []  # (time, pods added)
    last_down = -1e9
    next_tick = 0.0
    rr = 0
    latencies: List[float] = []
    by_window: Dict[int, List[float]] = {}
    replayed = 0
    max_wait = 0.0
    replica_samples: List[int] = []

    def tick(now: float) -> None:
        nonlocal last_down
        existing = [p for p in pods if p.exists(now)]
        current = len(existing)
        first = int((now - HPA_WINDOW) // HPA_PERIOD)
        busy = sum(busy_buckets.get(b, 0.0) for b in range(first, int(now // HPA_PERIOD)))
        usage = busy * CPU_PER_BUSY_SECOND / (HPA_WINDOW * CPU_REQUEST * current)
        ratio = usage / HPA_TARGET
        desired = current if abs(ratio - 1) <= HPA_TOLERANCE else math.ceil(current * ratio)
        desired = max(s.min_replicas, min(s.max_replicas, desired))
        recommendations.append((now, desired))
        while recommendations and recommendations[0][0] < now - SCALE_DOWN_WINDOW:
            recommendations.pop(0)
        if desired > current:
            added_lately = sum(n for t, n in ups if t > now - 60)
            allowed = max(2, current) - added_lately
            add = max(0, min(desired - current, allowed))
            for _ in range(add):
                pods.append(Pod(created=now, ready_at=now + s.startup))
            if add:
                ups.append((now, add))
        else:
            stable = max(d for _, d in recommendations)
            if stable < current and now - last_down >= 120:
                newest = max(existing, key=lambda p: p.created)
                newest.removed_at = now
                last_down = now
        replica_samples.append(len([p for p in pods if p.exists(now)]))

    for t in times:
        while next_tick <= t:
            tick(next_tick)
            next_tick += HPA_PERIOD
        ready = [p for p in pods if p.ready(t)]
        if not ready:  # all starting: the oldest one will take it
            ready = [min((p for p in pods if p.exists(t)), key=lambda p: p.ready_at)]
        if s.dispatch == "pinned":
            pod = ready[0]
        elif s.dispatch == "round-robin":
            pod = ready[rr % len(ready)]
            rr += 1
        else:
            pod = ready[rng.randrange(len(ready))]
        service = rng.lognormvariate(math.log(median), SERVICE_SIGMA)
        start = max(t, pod.free_at, pod.ready_at)
        pod.free_at = start + service
        bucket = int(start // HPA_PERIOD)
        busy_buckets[bucket] = busy_buckets.get(bucket, 0.0) + service
        latency = pod.free_at - t
        wait = start - t
        max_wait = max(max_wait, wait)
        if wait > REPLAY_SECONDS:
            # Not finished within the replay time: another pod's replay loop (every
            # REPLAY_SECONDS) takes the row and answers; the first pod still runs it.
            replayed += 1
            others = [p for p in ready if p is not pod]
            if others:
                other = others[rng.randrange(len(others))]
                taken = t + REPLAY_SECONDS + rng.random() * REPLAY_SECONDS
                other_start = max(taken, other.free_at)
                other.free_at = other_start + service
                other_bucket = int(other_start // HPA_PERIOD)
                busy_buckets[other_bucket] = busy_buckets.get(other_bucket, 0.0) + service
                latency = min(latency, other.free_at - t)
        latencies.append(latency)
        by_window.setdefault(int(t // 300), []).append(latency)
    while next_tick < DAY:
        tick(next_tick)
        next_tick += HPA_PERIOD

    hourly = []
    for hour in range(24):
        lo = bisect.bisect_left(times, hour * 3600)
        hi = bisect.bisect_left(times, (hour + 1) * 3600)
        lat = sorted(latencies[lo:hi])
        samples = replica_samples[hour * 240 : (hour + 1) * 240]
        hourly.append(
            {
                "hour": hour,
                "msg_per_s": round((hi - lo) / 3600, 2),
                "pods_max": max(samples) if samples else 0,
                "p95_ms": round(percentile(lat, 0.95) * 1000),
            }
        )
    ordered = sorted(latencies)
    worst = max(
        (percentile(sorted(v), 0.95) for v in by_window.values() if len(v) >= 20), default=0.0
    )
    pod_seconds = sum(min(p.removed_at or DAY, DAY) - max(p.created, 0) for p in pods)
    return Result(
        name=s.name,
        per_day=s.per_day,
        mean_rate=s.per_day / DAY,
        peak_rate=s.per_day / DAY * max(curve),
        dispatch=s.dispatch,
        replicas_min=min(replica_samples),
        replicas_max=max(replica_samples),
        pod_hours=pod_seconds / 3600,
        p50_ms=percentile(ordered, 0.50) * 1000,
        p95_ms=percentile(ordered, 0.95) * 1000,
        p99_ms=percentile(ordered, 0.99) * 1000,
        worst_5min_p95_ms=worst * 1000,
        over_1s_pct=100 * sum(1 for x in latencies if x > 1) / max(1, len(latencies)),
        replayed=replayed,
        max_wait_s=max_wait,
        hourly=hourly,
    )


# --- What the stores carry -------------------------------------------------------------


def planned_replicas(peak_rate: float, minimum: int) -> int:
    return max(minimum, math.ceil(peak_rate / (HPA_TARGET * POD_CAPACITY)))


def stores(per_day: int, peak: float, rasa_pods: int, other_pods: int) -> Dict[str, float]:
    peak_rate = per_day / DAY * peak
    event_bytes_day = per_day * EVENTS_PER_MESSAGE * EVENT_BYTES
    return {
        "pg_tx_per_s_peak": peak_rate * PG_TRANSACTIONS_PER_MESSAGE,
        "pg_event_rows_per_s_peak": peak_rate * EVENTS_PER_MESSAGE,
        "pg_gb_per_day": event_bytes_day * ROW_OVERHEAD / 1e9,
        "pg_gb_per_30_days": 30 * event_bytes_day * ROW_OVERHEAD / 1e9,
        "pg_connections_max": rasa_pods * PG_CONNECTIONS_RASA_POD
        + other_pods * PG_CONNECTIONS_OTHER_POD,
        "redis_ops_per_s_peak": peak_rate * REDIS_COMMANDS_PER_MESSAGE,
        "redis_mb_dedup": per_day * DEDUP_HOURS / 24 * DEDUP_KEY_BYTES / 1e6,
        "rabbitmq_msgs_per_s_peak": peak_rate * EVENTS_PER_MESSAGE,
        "rabbitmq_gb_per_day_unconsumed": event_bytes_day / 1e9,
    }


# --- Report -------------------------------------------------------------------------------

SCENARIOS = [
    Scenario("10k, small", 10_000, 2, 3),
    Scenario("100k, small", 100_000, 2, 3),
    Scenario("1M, national", 1_000_000, 3, 14),
    Scenario("1M, small (max 3)", 1_000_000, 2, 3),
    Scenario("100k, pinned nudges", 100_000, 2, 3, dispatch="pinned"),
    Scenario("1M, pinned nudges", 1_000_000, 3, 14, dispatch="pinned"),
    Scenario("1M, national, 5-min model load", 1_000_000, 3, 14, startup=300),
]


def table(results: Sequence[Result]) -> str:
    head = (
        "| scenario | msg/day | mean / peak msg/s | pods (min-max) | pod-hours | "
        "p50 / p95 / p99 | worst 5-min p95 | > 1 s | replayed (answered twice) |"
    )
    rows = [head, "|" + "---|" * 9]
    for r in results:
        rows.append(
            f"| {r.name} | {r.per_day:,} | {r.mean_rate:.2f} / {r.peak_rate:.1f} | "
            f"{r.replicas_min}-{r.replicas_max} | {r.pod_hours:.0f} | "
            f"{_ms(r.p50_ms)} / {_ms(r.p95_ms)} / {_ms(r.p99_ms)} | "
            f"{_ms(r.worst_5min_p95_ms)} | {r.over_1s_pct:.2f} % | {r.replayed:,} |"
        )
    return "\n".join(rows)


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} s" if value >= 10_000 else f"{value:.0f} ms"


def hourly_table(result: Result) -> str:
    rows = [
        "| hour (Lima) | " + " | ".join(f"{h['hour']:02d}" for h in result.hourly) + " |",
        "|---|" + "---|" * 24,
        "| msg/s | " + " | ".join(f"{h['msg_per_s']:.0f}" for h in result.hourly) + " |",
        "| pods | " + " | ".join(str(h["pods_max"]) for h in result.hourly) + " |",
        "| p95 ms | " + " | ".join(str(h["p95_ms"]) for h in result.hourly) + " |",
    ]
    return "\n".join(rows)


def stores_table(volumes: Sequence[int], peak: float) -> str:
    rows = [
        "| msg/day | Rasa pods (planned) | PG tx/s at peak | event rows/s | PG GB/day "
        "(30 days) | PG connections, worst case | Redis ops/s | Redis MB (48 h of ids) "
        "| RabbitMQ msg/s | RabbitMQ GB/day if unconsumed |",
        "|" + "---|" * 10,
    ]
    for per_day in volumes:
        pods = planned_replicas(per_day / DAY * peak, 2)
        others = 3 + 3 + 2 + 1 if pods > 3 else 2 + 2 + 1 + 1
        st = stores(per_day, peak, pods, others)
        rows.append(
            f"| {per_day:,} | {pods} | {st['pg_tx_per_s_peak']:.0f} | "
            f"{st['pg_event_rows_per_s_peak']:.0f} | {st['pg_gb_per_day']:.2f} "
            f"({st['pg_gb_per_30_days']:.0f}) | {st['pg_connections_max']:.0f} | "
            f"{st['redis_ops_per_s_peak']:.0f} | {st['redis_mb_dedup']:.0f} | "
            f"{st['rabbitmq_msgs_per_s_peak']:.0f} | {st['rabbitmq_gb_per_day_unconsumed']:.2f} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--per-day", type=int, nargs="*", help="one scenario per volume instead of docs/scale.md's"
    )
    parser.add_argument("--peak", type=float, default=10.0)
    parser.add_argument("--min-replicas", type=int, default=2)
    parser.add_argument("--max-replicas", type=int, default=14)
    parser.add_argument("--dispatch", choices=["random", "round-robin", "pinned"], default="random")
    parser.add_argument("--startup", type=float, default=STARTUP)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args(argv)
    if args.per_day:
        scenarios = [
            Scenario(
                f"{v:,}/day",
                v,
                args.min_replicas,
                args.max_replicas,
                args.dispatch,
                args.peak,
                args.startup,
            )
            for v in args.per_day
        ]
    else:
        scenarios = SCENARIOS
    results = [simulate(s, args.seed) for s in scenarios]
    print(
        f"Per pod: {POD_CAPACITY:.0f} turns/s saturated, HPA at {HPA_TARGET:.0%} of "
        f"{CPU_REQUEST:g} CPU, new pods ready after their startup; peak {args.peak:g}x "
        f"the mean; seed {args.seed}.\n"
    )
    print(table(results))
    national = next(
        (r for r in results if r.per_day == 1_000_000 and r.dispatch == "random"), results[-1]
    )
    print(f"\nHour by hour, {national.name}:\n")
    print(hourly_table(national))
    print("\nWhat the stores carry (planned pods: peak / (60 % of 20 turns/s)):\n")
    print(stores_table(sorted({s.per_day for s in scenarios}), args.peak))
    if args.json:
        with open(args.json, "w") as out:
            json.dump([asdict(r) for r in results], out, indent=1)


if __name__ == "__main__":
    main()
