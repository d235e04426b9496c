"""What the metrics cost: the work stores/turns.py adds to a turn (finding the turn's
events, reading its outcome, counting and timing it), a WhatsApp send's count, and a
scrape of a process's metrics port. In this process, no server: `python -m bench.metrics_cost`.
"""

from __future__ import annotations

import time

from prometheus_client import REGISTRY, generate_latest
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from line.core import metrics
from stores.turns import SEEN, TurnMetrics

ROUNDS = 20_000


class Watch(TurnMetrics):
    """The mixin alone, on nothing: only what it adds to Rasa's own save."""

    def __init__(self) -> None:
        super().__init__()


def tracker(turns: int) -> DialogueStateTracker:
    """A conversation of `turns` FAQ turns, about 12 events each as the line writes them."""
    events = [
        ActionExecuted("action_session_start"),
        SessionStarted(),
        ActionExecuted("action_listen"),
    ]
    for n in range(turns):
        events += [
            UserUttered(
                f"pregunta {n}", {"name": "faq", "confidence": 0.9}, input_channel="whatsapp"
            ),
            ActionExecuted("utter_faq"),
            BotUttered("respuesta", metadata={"utter_action": "utter_faq/covid_testing"}),
            ActionExecuted("action_ask_rating"),
            BotUttered("¿Te sirvió?", metadata={"utter_action": "utter_ask_rating"}),
            ActionExecuted("action_listen"),
        ]
    return DialogueStateTracker.from_events("bench", events)


def per_call(function, rounds: int = ROUNDS) -> float:
    began = time.perf_counter()
    for _ in range(rounds):
        function()
    return (time.perf_counter() - began) / rounds * 1e6


def main() -> None:
    watch = Watch()
    conversation = tracker(10)
    last_turn = len(conversation.events) - 6

    def observe():
        setattr(conversation, SEEN, last_turn)
        watch._turn_saved(conversation)

    print(f"turn observed (10-turn conversation): {per_call(observe):.1f} µs")
    print(f"WhatsApp send counted: {per_call(lambda: metrics.sent('message', None)):.2f} µs")
    metrics.watch(lambda: metrics.Backlog({}, {}, 0, 0.0, True))
    text = generate_latest(REGISTRY)
    print(f"scrape: {per_call(lambda: generate_latest(REGISTRY), 500):.0f} µs, {len(text):,} bytes")


if __name__ == "__main__":
    main()
