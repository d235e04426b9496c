"""A tracker-store database shaped like Rasa's SQLTrackerStore (table `events`,
see rasa/core/tracker_store.py SQLEvent), filled with conversations written as
short turns, so feedback and report tests need neither Rasa nor a model."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, create_engine

metadata = MetaData()
EVENTS = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)

START = datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc).timestamp()


class Tracker:
    """Appends events the way Rasa records a turn: the user message, the slots
    its entities set, then actions and bot utterances."""

    def __init__(self, url: str):
        self.engine = create_engine(url, future=True)
        metadata.create_all(self.engine)
        self.clock = START

    def _add(self, sender: str, type_name: str, data: dict, intent=None, action=None) -> None:
        self.clock += 7.25
        data = {"event": type_name, "timestamp": self.clock, **data}
        with self.engine.begin() as connection:
            connection.execute(
                EVENTS.insert().values(
                    sender_id=sender,
                    type_name=type_name,
                    timestamp=self.clock,
                    intent_name=intent,
                    action_name=action,
                    data=json.dumps(data),
                )
            )

    def session(self, sender: str) -> None:
        self._add(sender, "action", {"name": "action_session_start"}, action="action_session_start")
        self._add(sender, "session_started", {})
        self._add(sender, "action", {"name": "action_listen"}, action="action_listen")

    def turn(
        self,
        sender: str,
        text: str,
        intent: str,
        *,
        faq: str | None = None,
        entities: dict | None = None,
        actions: tuple[str, ...] = (),
        utters: tuple[str, ...] = (),
        channel: str = "whatsapp",
        danger: str | None = None,
        confidence: float = 0.9,
    ) -> None:
        entities = entities or {}
        parse = {
            "text": text,
            "intent": {"name": intent, "confidence": 0.9},
            "entities": [{"entity": k, "value": v} for k, v in entities.items()],
        }
        if faq:
            parse["response_selector"] = {
                "faq": {
                    "response": {"intent_response_key": f"faq/{faq}", "confidence": confidence},
                    "ranking": [],
                }
            }
        if danger:
            parse["danger"] = danger
        self._add(
            sender,
            "user",
            {"text": text, "parse_data": parse, "input_channel": channel},
            intent=intent,
        )
        for name, value in entities.items():
            if name in ("region", "service_category", "city"):
                self._add(sender, "slot", {"name": name, "value": value})
        for action in actions:
            self._add(sender, "action", {"name": action}, action=action)
        for utter in utters:
            self._add(
                sender, "bot", {"text": f"(respuesta {utter})", "metadata": {"utter_action": utter}}
            )
        self._add(sender, "action", {"name": "action_listen"}, action="action_listen")


def seed(url: str) -> Tracker:
    """A few conversations covering every feedback type the line codes today."""
    tracker = Tracker(url)
    ana, luis, maria = "51987654321", "wa-0123456789abcdef0123456789abcdef", "maria@rest"
    handoff, clarify = ("action_handoff",), ("action_clarify",)
    conversations = {
        ana: [
            ("hola", "greet", {"utters": ("utter_greet",)}),
            (
                "los albergues cobran?",
                "faq",
                {"faq": "shelter", "actions": ("utter_faq",), "utters": ("utter_faq/shelter",)},
            ),
            ("gracias!!", "thank", {"utters": ("utter_thank",)}),
            (
                "donde me vacuno en trujillo",
                "find_service",
                {
                    "entities": {"service_category": "vaccination", "region": "La Libertad"},
                    "actions": ("action_find_services",),
                },
            ),
        ],
        luis: [
            (
                "me estan pegando ayuda",
                "emergency",
                {"danger": "violence", "actions": handoff, "utters": ("utter_emergency_violence",)},
            ),
            (
                "mi solicitud de refugio 123456789 fue rechazada",
                "personal_case",
                {"entities": {"region": "Tacna"}, "actions": handoff},
            ),
        ],
        maria: [
            (
                "cuanto cuesta el pasaje a bolivia, escribeme a maria@correo.pe",
                "nlu_fallback",
                {"actions": clarify, "utters": ("utter_clarify",), "channel": "rest"},
            ),
            (
                "el pasaje de bus a bolivia cuanto sale",
                "nlu_fallback",
                {"actions": handoff, "channel": "rest"},
            ),
            (
                "un senor dijo que era de la cruz roja y me cobro por la lista",
                "out_of_scope",
                {"actions": clarify, "channel": "rest"},
            ),
        ],
    }
    for sender, turns in conversations.items():
        tracker.session(sender)
        for text, intent, details in turns:
            tracker.turn(sender, text, intent, **details)
    return tracker
