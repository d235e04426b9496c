"""How an operator's reply reaches a person, whatever channel they wrote from.

Each channel implements `Outbound` and registers it under its Rasa channel name
(`rest`, `whatsapp`, ...). The console only calls `deliver()`, so adding a
channel never changes the console.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Protocol

from sqlalchemy import Column, DateTime, Integer, String, Text, select

from line.core.db import Base, session_scope, utc_now


@dataclass(frozen=True)
class Delivery:
    """The outcome of one send; `reason` says why it was refused or failed."""

    ok: bool
    reason: Optional[str] = None
    message_id: Optional[str] = None


class Outbound(Protocol):
    def send(self, sender_id: str, text: str) -> Delivery:
        """Send `text` to the person behind `sender_id`; never raises for delivery errors."""


class OutboundMessage(Base):
    """Every operator message sent, per channel, with its delivery outcome."""

    __tablename__ = "outbound_messages"

    id = Column(Integer, primary_key=True)
    sender_id = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    text = Column(Text, nullable=False)
    ok = Column(Integer, nullable=False)
    reason = Column(String(64))
    created_at = Column(DateTime, nullable=False, default=utc_now)


class RestOutbox:
    """The REST channel has no push: replies wait here until the client reads them."""

    def send(self, sender_id: str, text: str) -> Delivery:
        return Delivery(ok=True)

    @staticmethod
    def received(sender_id: str) -> list[str]:
        """What the person was sent by operators, oldest first."""
        with session_scope() as session:
            rows = session.execute(
                select(OutboundMessage.text)
                .where(
                    OutboundMessage.sender_id == sender_id,
                    OutboundMessage.channel == "rest",
                    OutboundMessage.ok == 1,
                )
                .order_by(OutboundMessage.id)
            ).scalars()
            return list(rows)


# Channel name -> how to reach its people; channels add themselves with `register`.
CHANNELS: Dict[str, Outbound] = {"rest": RestOutbox()}


def register(channel: str, outbound: Outbound) -> None:
    CHANNELS[channel] = outbound


def deliver(channel: str, sender_id: str, text: str) -> Delivery:
    """Send through the person's channel and record the outcome."""
    outbound = CHANNELS.get(channel)
    delivery = outbound.send(sender_id, text) if outbound else Delivery(False, "unknown_channel")
    with session_scope() as session:
        session.add(
            OutboundMessage(
                sender_id=sender_id,
                channel=channel,
                text=text,
                ok=int(delivery.ok),
                reason=delivery.reason,
            )
        )
    return delivery
