"""Who asked for alerts, about what and where, and what they were told when they agreed.

A subscription keeps the pseudonym (never a number), the channel, the topics (none: every
topic), the region (none: every region), when the person agreed and the exact consent
text they were shown. Opting out takes effect at once: the row keeps the time, and the
sender checks it in the same statement that lets each message go, so nothing reaches a
person after they said stop. Subscribing again clears the opt-out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator, Optional, Sequence

from sqlalchemy import Column, DateTime, String, Text, delete, select, update

from line.core import topics as contract
from line.core.db import Base, session_scope, utc_now

CHANNELS = ("whatsapp", "rest")
# Subscriptions read from the database at a time when an audience is counted or queued.
READ_CHUNK = 5000


class SubscriptionError(ValueError):
    """A subscription cannot be kept as asked; `code` names the rule."""

    def __init__(self, code: str, value: str = ""):
        super().__init__(f"{code}: {value}" if value else code)
        self.code = code
        self.value = value


class Subscription(Base):
    __tablename__ = "alert_subscriptions"

    pseudonym = Column(String(128), primary_key=True)
    channel = Column(String(32), nullable=False)
    topics = Column(Text, nullable=False)  # JSON list of topic ids; [] = every topic
    region = Column(String(64), nullable=True)  # None = every region
    consent_text = Column(Text, nullable=False)
    subscribed_at = Column(DateTime, nullable=False)
    opted_out_at = Column(DateTime, nullable=True, index=True)


@dataclass(frozen=True)
class Subscriber:
    pseudonym: str
    channel: str
    topics: tuple[str, ...]
    region: Optional[str]
    subscribed_at: datetime
    opted_out_at: Optional[datetime]
    consent_text: str

    @property
    def active(self) -> bool:
        return self.opted_out_at is None


@dataclass(frozen=True)
class Audience:
    """Who a broadcast is for: subscribers in any of `regions` (none: any region) who
    follow any of `topics` (none: any topic). A subscriber of every region or every
    topic is in every audience on that side."""

    regions: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()

    def includes(self, topics: Sequence[str], region: Optional[str]) -> bool:
        in_region = not self.regions or region is None or region in self.regions
        on_topic = not self.topics or not topics or bool(set(topics) & set(self.topics))
        return in_region and on_topic


def check_places(topic_ids: Sequence[str], regions: Sequence[str]) -> None:
    """Topic ids and regions must be the contract's own, so an audience can match them."""
    known_topics = set(contract.answered_topic_ids())
    for topic in topic_ids:
        if topic not in known_topics:
            raise SubscriptionError("unknown_topic", topic)
    known_regions = set(contract.contract()["regions"])
    for region in regions:
        if region not in known_regions:
            raise SubscriptionError("unknown_region", region)


def subscribe(
    pseudonym: str,
    channel: str,
    consent_text: str,
    topics: Sequence[str] = (),
    region: Optional[str] = None,
    now: Optional[datetime] = None,
) -> Subscriber:
    """Keep (or renew) a person's subscription with the consent text they were shown."""
    if not pseudonym:
        raise SubscriptionError("no_pseudonym")
    if channel not in CHANNELS:
        raise SubscriptionError("unknown_channel", channel)
    if not (consent_text or "").strip():
        raise SubscriptionError("no_consent_text")
    check_places(topics, [region] if region else [])
    now = now or utc_now()
    values = {
        "channel": channel,
        "topics": json.dumps(sorted(set(topics))),
        "region": region,
        "consent_text": consent_text.strip(),
        "subscribed_at": now,
        "opted_out_at": None,
    }
    with session_scope() as session:
        row = session.get(Subscription, pseudonym)
        if row is None:
            session.add(Subscription(pseudonym=pseudonym, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
    return subscriber(pseudonym)


def opt_out(pseudonym: str, now: Optional[datetime] = None) -> bool:
    """Stop every alert to this person now; True if they were subscribed."""
    with session_scope() as session:
        changed = session.execute(
            update(Subscription)
            .where(Subscription.pseudonym == pseudonym, Subscription.opted_out_at.is_(None))
            .values(opted_out_at=now or utc_now())
            .execution_options(synchronize_session=False)
        ).rowcount
    return changed == 1


def _subscriber(row: Subscription) -> Subscriber:
    return Subscriber(
        row.pseudonym,
        row.channel,
        tuple(json.loads(row.topics)),
        row.region,
        row.subscribed_at,
        row.opted_out_at,
        row.consent_text,
    )


def subscriber(pseudonym: str) -> Optional[Subscriber]:
    with session_scope() as session:
        row = session.get(Subscription, pseudonym)
        return _subscriber(row) if row else None


def active(audience: Audience) -> Iterator[tuple[str, str]]:
    """(pseudonym, channel) of every subscriber in the audience who has not opted out,
    read a chunk at a time so a national audience never sits in memory whole."""
    after = ""
    while True:
        with session_scope() as session:
            rows = session.execute(
                select(
                    Subscription.pseudonym,
                    Subscription.channel,
                    Subscription.topics,
                    Subscription.region,
                )
                .where(Subscription.opted_out_at.is_(None), Subscription.pseudonym > after)
                .order_by(Subscription.pseudonym)
                .limit(READ_CHUNK)
            ).all()
        for row in rows:
            if audience.includes(json.loads(row.topics), row.region):
                yield row.pseudonym, row.channel
        if len(rows) < READ_CHUNK:
            return
        after = rows[-1].pseudonym


def count(audience: Audience) -> int:
    """How many people a broadcast to this audience would reach now."""
    return sum(1 for _ in active(audience))


def forget(session, pseudonym: str) -> None:
    """Part of erasing a person's data ("borrar mis datos"), in the caller's transaction."""
    session.execute(delete(Subscription).where(Subscription.pseudonym == pseudonym))
