"""What an operator does to a ticket, across the database, the channel and Rasa.

Every step leaves its state in the database before the next one, so a failure
half-way is shown to the operator and can be finished later, and nothing is
sent twice: a reply is stored, then delivered once, then copied into the Rasa
tracker (retryable on its own when Rasa is unreachable).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Optional

from line.core import rasa_api
from line.handoff import accounts, outbound, tickets
from line.privacy import redact

BACK_FROM_HUMAN = "utter_back_from_human"


@dataclass(frozen=True)
class ReplyResult:
    """status: sent (and recorded), untracked (sent, not yet in the tracker),
    refused (the channel did not deliver; `reason` says why), duplicate (this
    form submission was already handled; the stored reply shows what happened)."""

    message_id: int
    status: str
    reason: Optional[str] = None


@dataclass(frozen=True)
class CloseResult:
    """The ticket is closed and the bot resumed; `rasa_error` is set when the
    "bot is back" message could not be sent."""

    rasa_error: Optional[str] = None


def _timestamp(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def send_reply(ticket_id: int, operator: str, text: str, key: str) -> ReplyResult:
    message_id, new = tickets.add_reply(ticket_id, operator, text, key)
    if not new:
        return ReplyResult(message_id, "duplicate")
    ticket = tickets.owned(ticket_id, operator)
    delivery = outbound.deliver(ticket["channel"] or "rest", ticket["sender_id"], text)
    tickets.record_delivery(message_id, delivery.ok, delivery.reason)
    if not delivery.ok:
        return ReplyResult(message_id, "refused", delivery.reason)
    error = record_in_tracker(message_id)
    return ReplyResult(message_id, "untracked" if error else "sent", error)


def record_in_tracker(message_id: int) -> Optional[str]:
    """Copy a sent reply into the person's Rasa conversation, as a bot message
    marked with the operator. Returns the Rasa error, if any (then it stays pending)."""
    if not tickets.begin_tracking(message_id):
        return None
    reply = tickets.message(message_id)
    ticket = tickets.ticket(reply["ticket_id"])
    try:
        rasa_api.append_events(
            ticket["sender_id"],
            [
                {
                    "event": "bot",
                    "text": reply["text"],
                    "metadata": {"operator": reply["operator"]},
                    "timestamp": _timestamp(reply["created_at"]),
                }
            ],
        )
    except rasa_api.RasaUnavailable as exc:
        tickets.end_tracking(message_id, False)
        return str(exc)
    tickets.end_tracking(message_id, True)
    return None


def retry_tracking(ticket_id: int, operator: str, message_id: int) -> Optional[str]:
    """The operator asks again to record a reply that Rasa missed."""
    tickets.owned(ticket_id, operator)
    reply = tickets.message(message_id)
    if reply is None or reply["ticket_id"] != ticket_id:
        raise tickets.TicketConflict("missing")
    return record_in_tracker(message_id)


def close(ticket_id: int, operator: str, outcome: str) -> CloseResult:
    """Resume the bot first: if Rasa is unreachable the ticket stays open rather
    than leaving the person in a paused conversation nobody watches."""
    if outcome not in tickets.OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    ticket = tickets.owned(ticket_id, operator)
    rasa_api.append_events(ticket["sender_id"], [{"event": "resume"}])
    tickets.close(ticket_id, operator, outcome)
    try:
        collected = rasa_api.execute(ticket["sender_id"], BACK_FROM_HUMAN)
        # The bot then waits for the person, as after any turn; without this the
        # next message would follow a state no rule knows and go back to a person.
        rasa_api.append_events(ticket["sender_id"], [{"event": "action", "name": "action_listen"}])
    except rasa_api.RasaUnavailable as exc:
        return CloseResult(str(exc))
    for message in collected:
        if message.get("text"):
            outbound.deliver(ticket["channel"] or "rest", ticket["sender_id"], message["text"])
    return CloseResult()


def history(ticket: dict) -> tuple[list[dict], Optional[str]]:
    """The whole conversation, oldest first: the Rasa tracker (person, bot,
    operator replies, pauses) plus what only the console knows (notes, replies
    not in the tracker). If Rasa is unreachable, the ticket's stored context
    stands in and the error is returned so the operator knows."""
    try:
        events = rasa_api.tracker(ticket["sender_id"]).get("events") or []
        error = None
    except rasa_api.RasaUnavailable as exc:
        events, error = [], str(exc)
    local = [
        {**m, "at": m["created_at"]}
        for m in ticket["messages"]
        if error
        or m["author"] == "note"
        or (m["author"] == "operator" and m["tracker_state"] != "done")
    ]
    entries = [entry for entry in map(_entry, events) if entry] + local
    entries.sort(key=lambda entry: entry["at"])
    return entries, error


def sight(ticket: dict, user: dict) -> Optional[bool]:
    """How `user` may open `ticket`: True with the person's identifiers (they hold
    it: they need them to help), False redacted (a waiting or closed ticket, or a
    coordinator on someone else's), None not at all (an operator on a ticket another
    operator holds: nobody reads along without a reason)."""
    if ticket["status"] == "claimed" and ticket["claimed_by"] == user["username"]:
        return True
    if ticket["status"] == "claimed" and user["role"] != accounts.COORDINATOR:
        return None
    return False


def redacted(items: list[dict], field: str) -> list[dict]:
    """Copies of `items` with `field` redacted (line.privacy), for whoever does not
    hold the ticket: the queue's previews, a conversation read without holding it."""
    return [{**item, field: redact(item[field])} for item in items]


def _entry(event: dict) -> Optional[dict]:
    kind = event.get("event")
    at = datetime.fromtimestamp(event.get("timestamp") or 0, timezone.utc).replace(tzinfo=None)
    if kind == "user":
        return {"author": "user", "text": event.get("text") or "", "at": at}
    if kind == "bot":
        operator = (event.get("metadata") or {}).get("operator")
        buttons = [b.get("title") for b in (event.get("data") or {}).get("buttons") or []]
        return {
            "author": "operator" if operator else "bot",
            "operator": operator,
            "text": event.get("text") or "",
            "buttons": buttons,
            "at": at,
            "delivery": "sent",
            "tracker_state": "done",
        }
    if kind in ("pause", "resume"):
        return {"author": kind, "text": "", "at": at}
    return None
