"""What a handoff asks for, built in one place for every caller: action_handoff and the
service search (actions/), a failed custom action inside Rasa (components/resilience.py),
a WhatsApp message whose turn keeps failing (channels/whatsapp.py) and a voice note,
photo or file (line/media/intake.py).

One rule each: the reason (an emergency first, then a report of abuse, then a person
without papers asking about a status_sensitive topic, then the line's own failure, then
what the person asked for), the topic (the last FAQ answer given, else
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
from line.core import topics
from line.handoff import hours, reasons
from line.handoff.tickets import Receipt
from line.understanding import names

# Tags the operator's notes on what else the person asked.
ALSO_TAG = "also"

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


def reason_for(
    intent: Optional[str], abuse: bool = False, failed: bool = False, legal: bool = False
) -> str:
    if intent == names.EMERGENCY_INTENT:
        return reasons.EMERGENCY
    if abuse:
        return reasons.CASE
    if legal:
        return reasons.LEGAL
    if failed:
        return reasons.TECHNICAL
    return REASON_BY_INTENT.get(intent, reasons.UNRESOLVED)


def needs_legal_advice(latest: Mapping[str, Any], topic: Optional[str]) -> bool:
    """The person said they have no papers (IntentCues) and the topic is status_sensitive:
    a wrong step could expose them, so a person advises them after the answer."""
    return bool(latest.get(names.IRREGULAR_STATUS_KEY)) and topic in topics.status_sensitive_ids()


def failure_note(failure: str) -> tuple[str, str]:
    """What the operator reads about what failed (never shown to the person)."""
    return ("note", f"[{reasons.TECHNICAL}] {failure}")


def also_note(latest: Mapping[str, Any]) -> Optional[tuple[str, str]]:
    """The other needs of the last message, which lost the precedence: the line pauses at
    a handoff, so the operator offers them ("[also] find_service, faq (covid_testing)")."""
    also = [
        f"{need} ({latest[names.ALSO_FAQ_TOPIC_KEY]})"
        if need == names.FAQ_INTENT and latest.get(names.ALSO_FAQ_TOPIC_KEY)
        else need
        for need in latest.get(names.ALSO_KEY) or ()
    ]
    return ("note", f"[{ALSO_TAG}] {', '.join(also)}") if also else None


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
    faq_topic = names.last_faq_topic(events)
    reason = reason_for(
        intent,
        abuse=bool(latest.get(names.ABUSE_KEY)),
        failed=failure is not None,
        legal=needs_legal_advice(latest, faq_topic),
    )
    notes = [also_note(latest), failure_note(failure) if failure else None]
    messages = recent_messages(events) + [note for note in notes if note]
    return Handoff(
        sender_id,
        reason,
        channel or "rest",
        topic=faq_topic or slots.get("service_category"),
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


def from_media(sender_id: str, channel: str, kind: str, kept: bool = True) -> Handoff:
    """The handoff of a voice note, photo or file: a person listens or looks. The file
    joins the ticket through line/media; when it could not be kept (the database was
    down) a note says what came, so the operator asks for it again."""
    notes = () if kept else (("note", f"[{reasons.MEDIA}] {kind} not kept: database unavailable"),)
    return Handoff(sender_id, reasons.MEDIA, channel, messages=notes)


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
