"""Where a turn's time goes: the held-out message mix through the trained model in this
process, one turn after another, under pyinstrument.

One process and no HTTP in front, so the profile shows Rasa's own work per turn (NLU,
policies, tracker store, action calls) rather than the load generator's. Actions still go
to the action server in endpoints.yml, so start it first (`make run` does). Conversations go
to a throwaway SQLite tracker store, never to the line's own. `make profile` runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
import uuid
from pathlib import Path

from pyinstrument import Profiler

from bench.load import TURNS_PER_SENDER, message_mix, percentile

ROOT = Path(__file__).resolve().parent.parent


async def _load_agent(model: Path, tracker_db: Path):
    """The model as `rasa run` loads it, with the embedded default's store class
    (endpoints.yml) on a file of its own."""
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    from stores.turns import MeteredSQLTrackerStore

    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "endpoints.yml"))
    endpoints.tracker_store = None
    agent = await load_agent(model_path=str(model), endpoints=endpoints)
    agent.tracker_store = MeteredSQLTrackerStore(agent.domain, dialect="sqlite", db=str(tracker_db))
    agent.processor.tracker_store = agent.tracker_store
    return agent


async def _turns(agent, texts, turns: int) -> list:
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    seconds = []
    sender = ""
    for n in range(turns):
        if n % TURNS_PER_SENDER == 0:
            sender = f"profile-{uuid.uuid4().hex}"
        start = time.perf_counter()
        await agent.handle_message(
            UserMessage(texts[n % len(texts)], CollectingOutputChannel(), sender)
        )
        seconds.append(time.perf_counter() - start)
    return seconds


async def main(model: Path, turns: int, warmup: int, out: Path) -> None:
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # As `rasa run` logs by default: debug lines would be most of what is measured.
    configure_logging_and_warnings(logging.INFO)
    configure_structlog(logging.INFO)
    texts = message_mix()
    with tempfile.TemporaryDirectory() as tmp:
        agent = await _load_agent(model, Path(tmp) / "tracker.db")
        await _turns(agent, texts[::-1], warmup)
        profiler = Profiler(async_mode="enabled")
        profiler.start()
        seconds = await _turns(agent, texts, turns)
        profiler.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".html").write_text(profiler.output_html())
    out.with_suffix(".txt").write_text(
        profiler.output_text(unicode=True, color=False, show_all=True)
    )
    ms = [1000 * s for s in seconds]
    print(
        f"{turns} turns one after another: {sum(seconds) / turns * 1000:.1f} ms a turn, "
        f"p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms "
        f"(≈{turns / sum(seconds):.1f} turns/s on one core, profiler included)"
    )
    print(f"profile: {out.with_suffix('.txt')} and {out.with_suffix('.html')}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "line.tar.gz")
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "profile.txt")
    args = parser.parse_args()
    asyncio.run(main(args.model, args.turns, args.warmup, args.out))
