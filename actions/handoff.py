"""action_handoff: the emergency number first when in danger, then a person."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ConversationPaused, EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import latest_intent
from line import handoff, hours, pending_tickets
from line.settings import settings

logger = logging.getLogger(__name__)

REASON_BY_INTENT = {"emergency": "emergency", "request_human": "requested",
                    "personal_case": "case", "complaint": "complaint"}
# Set by components/line_nlu.py when a message reports abuse or exploitation.
ABUSE_KEY = "abuse_report"
DANGER_KINDS = {"violence", "child_abuse", "trafficking", "suicide", "medical", "fire"}


def recent_messages(tracker: Tracker, limit: int) -> list[tuple[str, str]]:
    """The last user and bot texts, oldest first, as context for the operator."""
    texts = [("user" if e["event"] == "user" else "bot", e.get("text") or "")
             for e in tracker.events if e.get("event") in ("user", "bot")]
    return [(author, text) for author, text in texts if text][-limit:]


def faq_topic(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        utter = (event.get("metadata") or {}).get("utter_action") or ""
        if event.get("event") == "bot" and utter.startswith("utter_faq/"):
            return utter.split("/", 1)[1]
    return None


async def hand_over(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str,
                    danger: str | None = None, note: str | None = None) -> List[EventType]:
    """Queue the person for an operator, tell them what happens next and pause the bot.
    When the database is down the ticket is kept and written later (line.pending_tickets)."""
    messages = recent_messages(tracker, settings.handoff_context_messages)
    try:
        receipt = await asyncio.to_thread(
            pending_tickets.open_or_keep, tracker.sender_id, reason,
            channel=(tracker.get_latest_input_channel() or "rest"),
            topic=faq_topic(tracker) or tracker.get_slot("service_category"),
            region=tracker.get_slot("region"), danger=danger,
            messages=messages + ([("note", note)] if note else []))
    except OSError:
        logger.exception("NO TICKET for %s: neither the database nor the spool took it",
                         tracker.sender_id)
        dispatcher.utter_message(response="utter_handoff_failed")
        return []
    priority = receipt.priority if receipt else handoff.PRIORITY[reason]
    if not hours.is_open():
        opens = hours.next_opening()
        dispatcher.utter_message(response="utter_handoff_after_hours",
                                 day=opens.strftime("%d/%m"), time=opens.strftime("%H:%M"))
    elif priority == handoff.PRIORITY["emergency"]:
        dispatcher.utter_message(response="utter_handoff_priority")
    elif receipt is None:
        dispatcher.utter_message(response="utter_handoff_kept")
    else:
        dispatcher.utter_message(response="utter_handoff_queued", position=receipt.position)
    return [ConversationPaused()]


class ActionHandoff(Action):
    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        reason = REASON_BY_INTENT.get(latest_intent(tracker), "unresolved")
        if (tracker.latest_message or {}).get(ABUSE_KEY) and reason != "emergency":
            reason = "case"
        danger = (tracker.latest_message or {}).get("danger") if reason == "emergency" else None
        if reason == "emergency":
            kind = danger if danger in DANGER_KINDS else "general"
            dispatcher.utter_message(response=f"utter_emergency_{kind}")
        return await hand_over(dispatcher, tracker, reason, danger)
