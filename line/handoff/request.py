"""What a handoff asks for, built in one place for every caller: action_handoff and the
service search (actions/), a failed custom action inside Rasa (components/resilience.py)
and a WhatsApp message whose turn keeps failing (channels/whatsapp.py).

One rule each: the reason (an emergency first, then a report of abuse, then the line's
own failure, then what the person asked for), the topic (the last FAQ answer given, else
the service category), the context (the last user and bot messages, and a note on what
failed), the priority and the emergency numbers to give first. Conversations come as
Rasa's event dictionaries, which the action server receives and Rasa's events give
with `as_dict()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping, Optional, Sequence

from line.core import settings as config
from line.handoff import hours, reasons
from line.handoff.tickets import Receipt
from line.understanding import names

REASON_BY_INTENT = {
    names.EMERGENCY_INTENT: reasons.EMERGENCY,
    names.REQUEST_HUMAN_INTENT: reasons.REQUESTED,
    names.PERSONAL_CASE_INTENT: reasons.CASE,
    names.COMPLAINT_INTENT: reasons.COMPLAINT,
}


@dataclass(frozen=True)
class Handoff:
    """One request for a person; spool.open_or_keep stores it as a ticket."""

    sender_id: str
    reason: str
    channel: str = "rest"
    topic: Optional[str] = None
    region: Optional[str] = None
    danger: Optional[str] = None
    language: Optional[str] = None
    messages: tuple[tuple[str, str], ...] = ()

    @property
    def priority(self) -> int:
        return reasons.PRIORITY[self.reason]

    @property
    def emergency_response(self) -> Optional[str]:
        """The emergency numbers the person gets before anything else, if in danger."""
        return names.emergency_response(self.danger) if self.reason == reasons.EMERGENCY else None

    def ticket_fields(self) -> dict:
        """The keyword arguments of tickets.open_ticket (and of a spooled ticket)."""
        return {
            "channel": self.channel,
            "topic": self.topic,
            "region": self.region,
            "danger": self.danger,
            "language": self.language,
            "messages": [list(m) for m in self.messages],
        }


def reason_for(intent: Optional[str], abuse: bool = False, failed: bool = False) -> str:
    if intent == names.EMERGENCY_INTENT:
        return reasons.EMERGENCY
    if abuse:
        return reasons.CASE
    if failed:
        return reasons.TECHNICAL
    return REASON_BY_INTENT.get(intent, reasons.UNRESOLVED)


def failure_note(failure: str) -> tuple[str, str]:
    """What the operator reads about what failed (never shown to the person)."""
    return ("note", f"[{reasons.TECHNICAL}] {failure}")


def recent_messages(
    events: Sequence[Mapping[str, Any]], limit: Optional[int] = None
) -> list[tuple[str, str]]:
    """The last user and bot texts, oldest first, as context for the operator."""
    limit = config.settings.handoff_context_messages if limit is None else limit
    texts = [
        ("user" if e.get("event") == "user" else "bot", e.get("text") or "")
        for e in events
        if e.get("event") in ("user", "bot")
    ]
    return [(author, text) for author, text in texts if text][-limit:] if limit else []


def from_conversation(
    sender_id: str,
    events: Sequence[Mapping[str, Any]],
    latest: Mapping[str, Any],
    slots: Mapping[str, Any],
    channel: Optional[str] = None,
    failure: Optional[str] = None,
) -> Handoff:
    """The handoff of a conversation: `latest` is the parse of the person's last message,
    `failure` what went wrong when the line itself failed."""
    intent = (latest.get("intent") or {}).get("name")
    reason = reason_for(intent, abuse=bool(latest.get(names.ABUSE_KEY)), failed=failure is not None)
    messages = recent_messages(events) + ([failure_note(failure)] if failure else [])
    return Handoff(
        sender_id,
        reason,
        channel or "rest",
        topic=names.last_faq_topic(events) or slots.get("service_category"),
        region=slots.get("region"),
        danger=latest.get(names.DANGER_KEY) if reason == reasons.EMERGENCY else None,
        language=latest.get(names.LANGUAGE_KEY),
        messages=tuple(messages),
    )


def from_message(sender_id: str, channel: str, text: str, failure: str) -> Handoff:
    """The handoff of a message the line could not take in at all (no conversation)."""
    return Handoff(
        sender_id, reasons.TECHNICAL, channel, messages=(("user", text), failure_note(failure))
    )


def reply(
    handoff: Handoff, receipt: Optional[Receipt], now: Optional[datetime] = None
) -> tuple[str, dict]:
    """What the person is told once the ticket is stored (or kept, `receipt` None): when
    operators answer if they are away, else that they come first, that the request is
    kept, or their place in the queue. A response name and its values."""
    priority = receipt.priority if receipt else handoff.priority
    if not hours.is_open(now):
        opens = hours.next_opening(now)
        return "utter_handoff_after_hours", {
            "day": opens.strftime("%d/%m"),
            "time": opens.strftime("%H:%M"),
        }
    if priority == reasons.PRIORITY[reasons.EMERGENCY]:
        return "utter_handoff_priority", {}
    if receipt is None:
        return "utter_handoff_kept", {}
    return "utter_handoff_queued", {"position": receipt.position}
