"""Broadcasts: one template to an audience of subscribers, and the queue that sends it.

A coordinator writes a broadcast (template, values, audience, send time outside the quiet
hours); a second coordinator approves it; from its send time a sender (line/alerts/worker.py)
queues one row per person in the audience, in the same transaction that marks it as
sending, and drains the queue. The row's key (broadcast, person) is unique, and a row
goes out only through conditional updates (claimed with a lease, then marked as sending
while the person is still subscribed and the broadcast still sending), so a person gets
a broadcast once, whatever retries, restarts or senders running side by side. A row
whose sender vanished while it was on its way is marked unconfirmed and never sent
again: a doubtful message is not worth a duplicate.

Meta's status webhooks (sent, delivered, read, failed) reach the rows by a keyed digest of
the message id (the id embeds the phone number), and inbound messages mark replies.
Nothing here logs a pseudonym, a number or a text.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable, Mapping, Optional, Sequence

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from line.alerts import subscriptions, templates
from line.alerts.subscriptions import Audience, Subscription
from line.core import pseudonyms
from line.core import settings as config
from line.core.db import Base, session_scope, utc_now
from line.handoff import accounts

# A broadcast's life. Cancelled only before it starts; paused and resumed while it runs;
# halted by the sender when too many messages fail.
AWAITING_APPROVAL, APPROVED, SENDING, PAUSED, DONE, CANCELLED, HALTED = (
    "awaiting_approval",
    "approved",
    "sending",
    "paused",
    "done",
    "cancelled",
    "halted",
)
# A recipient row's life: queued, claimed by a sender (lease), on its way, then sent,
# failed, unconfirmed (its sender vanished mid-send) or skipped (opted out, or no way to
# reach the person).
QUEUED, CLAIMED, ON_ITS_WAY, SENT, FAILED, UNCONFIRMED, SKIPPED = (
    "queued",
    "claimed",
    "sending",
    "sent",
    "failed",
    "unconfirmed",
    "skipped",
)
FINISHED = (SENT, FAILED, UNCONFIRMED)
# How a message went: a template (outside the 24-hour window, counts against the tier),
# free text inside the window, or the REST channel's text.
TEMPLATE, TEXT = "template", "text"
# Why the sender halted a broadcast: too many failures, or its template left the register.
TOO_MANY_FAILURES, TEMPLATE_GONE = "too_many_failures", "template_gone"
# Meta's messaging tiers: how many people a number may start conversations with a day.
TIERS = (250, 1_000, 10_000, 100_000)
# Status webhooks, in the order they can only move forward.
STATUSES = ("sent", "delivered", "read", "failed")
INSERT_CHUNK = 1000
_INSERTS = {"sqlite": sqlite_insert, "postgresql": postgresql_insert}


class AlertError(ValueError):
    """A broadcast cannot be written or changed as asked; `code` names the rule for the
    console (its wording lives with the console's labels)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class Broadcast(Base):
    __tablename__ = "alert_broadcasts"

    id = Column(Integer, primary_key=True)
    author = Column(String(64), nullable=False)
    approver = Column(String(64), nullable=True)
    template = Column(String(512), nullable=False)
    parameters = Column(Text, nullable=False)  # JSON object: parameter name -> value
    regions = Column(Text, nullable=False)  # JSON list; [] = every region
    topics = Column(Text, nullable=False)  # JSON list; [] = every topic
    send_at = Column(DateTime, nullable=False)
    status = Column(String(24), nullable=False, index=True)
    audience = Column(Integer, nullable=True)  # people queued when it started
    stop_reason = Column(String(32), nullable=True)
    created_at = Column(DateTime, nullable=False)
    approved_at = Column(DateTime, nullable=True)
    started_at = Column(DateTime, nullable=True)
    finished_at = Column(DateTime, nullable=True)
    # Failures count towards a halt from here: the start, or the last resume.
    failures_from = Column(DateTime, nullable=True)


class Recipient(Base):
    __tablename__ = "alert_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "pseudonym", name="uq_alert_recipients_once"),
        Index("ix_alert_recipients_queue", "broadcast_id", "state"),
        Index("ix_alert_recipients_finished", "broadcast_id", "finished_at"),
    )

    id = Column(Integer, primary_key=True)
    broadcast_id = Column(ForeignKey("alert_broadcasts.id"), nullable=False)
    pseudonym = Column(String(128), nullable=False, index=True)
    channel = Column(String(32), nullable=False)
    state = Column(String(16), nullable=False)
    claim = Column(String(32), nullable=True, index=True)  # the claim of the sender holding it
    lease_until = Column(DateTime, nullable=True)
    kind = Column(String(16), nullable=True)
    message_key = Column(String(64), nullable=True, index=True)  # pseudonyms.message_key
    reason = Column(String(64), nullable=True)
    attempted_at = Column(DateTime, nullable=True, index=True)
    finished_at = Column(DateTime, nullable=True)
    delivered_at = Column(DateTime, nullable=True)
    read_at = Column(DateTime, nullable=True)
    replied_at = Column(DateTime, nullable=True)


@dataclass(frozen=True)
class Draft:
    """What a coordinator asks for; checked by `create`."""

    author: str
    template: str
    parameters: Mapping[str, str]
    send_at: datetime  # naive UTC
    regions: Sequence[str] = ()
    topics: Sequence[str] = ()


def quiet(at: datetime, cfg=None) -> bool:
    """Whether `at` (naive UTC) falls in the quiet hours, in the line's local time."""
    cfg = cfg or config.settings
    local = (at + timedelta(hours=cfg.utc_offset_hours)).hour
    start, end = cfg.alerts_quiet_start_hour, cfg.alerts_quiet_end_hour
    return start <= local or local < end if start > end else start <= local < end


def quiet_ends(at: datetime, cfg=None) -> datetime:
    """The first moment after `at` (naive UTC) outside the quiet hours."""
    cfg = cfg or config.settings
    moment = at.replace(minute=0, second=0, microsecond=0)
    while quiet(moment, cfg):
        moment += timedelta(hours=1)
    return max(moment, at)


def _coordinator(username: str) -> None:
    with session_scope() as session:
        row = session.execute(
            select(accounts.Operator.role, accounts.Operator.active).where(
                accounts.Operator.username == username
            )
        ).one_or_none()
    if row is None or not row.active or row.role not in accounts.AREAS[accounts.COORDINATION]:
        raise AlertError("not_coordinator")


def audience_of(row: Broadcast) -> Audience:
    return Audience(tuple(json.loads(row.regions)), tuple(json.loads(row.topics)))


def values_of(row: Broadcast) -> dict:
    return json.loads(row.parameters)


def create(draft: Draft, now: Optional[datetime] = None) -> int:
    """A broadcast awaiting approval; AlertError, ParameterError or SubscriptionError say
    what to change."""
    now = now or utc_now()
    _coordinator(draft.author)
    template = templates.get(draft.template)
    template.values(draft.parameters)
    subscriptions.check_places(draft.topics, draft.regions)
    if draft.send_at < now - timedelta(minutes=1):
        raise AlertError("send_at_past")
    if quiet(draft.send_at):
        raise AlertError("quiet_hours")
    with session_scope() as session:
        row = Broadcast(
            author=draft.author,
            template=template.name,
            parameters=json.dumps(dict(draft.parameters), ensure_ascii=False, sort_keys=True),
            regions=json.dumps(sorted(set(draft.regions)), ensure_ascii=False),
            topics=json.dumps(sorted(set(draft.topics))),
            send_at=draft.send_at,
            status=AWAITING_APPROVAL,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def _change(broadcast_id: int, allowed: Iterable[str], code: str, **values) -> None:
    """One conditional update, so two coordinators clicking at once cannot both win."""
    with session_scope() as session:
        changed = session.execute(
            update(Broadcast)
            .where(Broadcast.id == broadcast_id, Broadcast.status.in_(tuple(allowed)))
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
    if changed != 1:
        raise AlertError(code)


def approve(broadcast_id: int, approver: str, now: Optional[datetime] = None) -> None:
    """A second coordinator's approval: never the author's own."""
    _coordinator(approver)
    with session_scope() as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None:
            raise AlertError("unknown_broadcast")
        if row.author == approver:
            raise AlertError("own_broadcast")
    _change(
        broadcast_id,
        (AWAITING_APPROVAL,),
        "not_awaiting_approval",
        status=APPROVED,
        approver=approver,
        approved_at=now or utc_now(),
    )


def cancel(broadcast_id: int, now: Optional[datetime] = None) -> None:
    """Only before it starts: once messages go, pause instead."""
    _change(
        broadcast_id,
        (AWAITING_APPROVAL, APPROVED),
        "already_started",
        status=CANCELLED,
        finished_at=now or utc_now(),
    )


def pause(broadcast_id: int) -> None:
    _change(broadcast_id, (SENDING,), "not_sending", status=PAUSED)


def resume(broadcast_id: int, now: Optional[datetime] = None) -> None:
    """Also what a coordinator does after a halt, once the cause is understood: the
    failures before it no longer count towards the next halt."""
    _change(
        broadcast_id,
        (PAUSED, HALTED),
        "not_paused",
        status=SENDING,
        stop_reason=None,
        failures_from=now or utc_now(),
    )


def halt(broadcast_id: int, reason: str) -> bool:
    """The sender stops a broadcast by itself; coordinators see it halted, with why."""
    with session_scope() as session:
        return (
            session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status == SENDING)
                .values(status=HALTED, stop_reason=reason)
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )


def get(broadcast_id: int) -> Optional[Broadcast]:
    with session_scope() as session:
        return session.get(Broadcast, broadcast_id)


def recent(limit: int = 50) -> list[Broadcast]:
    """The latest broadcasts, whatever their state, newest first (the console's list)."""
    with session_scope() as session:
        return list(
            session.execute(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)).scalars()
        )


def needing_attention() -> list[Broadcast]:
    """Halted broadcasts, for the console to flag to coordinators."""
    with session_scope() as session:
        return list(
            session.execute(
                select(Broadcast).where(Broadcast.status == HALTED).order_by(Broadcast.id)
            ).scalars()
        )


# --- Starting and draining ------------------------------------------------------------


def start_due(now: Optional[datetime] = None) -> list[int]:
    """Approved broadcasts whose time came and is not quiet: each is queued, whole, in the
    transaction that marks it as sending, so only one sender queues it and a crash
    leaves it approved, to be queued again."""
    now = now or utc_now()
    if quiet(now):
        return []
    with session_scope() as session:
        due = session.execute(
            select(Broadcast.id)
            .where(Broadcast.status == APPROVED, Broadcast.send_at <= now)
            .order_by(Broadcast.send_at, Broadcast.id)
        ).scalars()
        due = list(due)
    started = []
    for broadcast_id in due:
        with session_scope() as session:
            won = session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status == APPROVED)
                .values(status=SENDING, started_at=now, failures_from=now)
                .execution_options(synchronize_session=False)
            ).rowcount
            if won != 1:
                continue
            row = session.get(Broadcast, broadcast_id)
            queued = _enqueue(session, broadcast_id, audience_of(row))
            row.audience = queued
            if not queued:
                row.status, row.finished_at = DONE, now
        started.append(broadcast_id)
    return started


def _enqueue(session, broadcast_id: int, audience: Audience) -> int:
    insert = _INSERTS[session.get_bind().dialect.name]
    chunk, queued = [], 0
    for pseudonym, channel in subscriptions.active(audience):
        chunk.append(
            {
                "broadcast_id": broadcast_id,
                "pseudonym": pseudonym,
                "channel": channel,
                "state": QUEUED,
            }
        )
        if len(chunk) == INSERT_CHUNK:
            queued += _insert(session, insert, chunk)
            chunk = []
    if chunk:
        queued += _insert(session, insert, chunk)
    return queued


def _insert(session, insert, rows: list[dict]) -> int:
    statement = insert(Recipient).values(rows).on_conflict_do_nothing()
    return session.execute(statement).rowcount


@dataclass(frozen=True)
class Claimed:
    id: int
    pseudonym: str
    channel: str


def sending() -> list[int]:
    """Broadcasts being sent, oldest first."""
    with session_scope() as session:
        return list(
            session.execute(
                select(Broadcast.id).where(Broadcast.status == SENDING).order_by(Broadcast.id)
            ).scalars()
        )


def pending() -> int:
    """Messages of the broadcasts being sent that have not gone yet (for the metrics)."""
    with session_scope() as session:
        return session.execute(
            select(func.count(Recipient.id))
            .join(Broadcast, Broadcast.id == Recipient.broadcast_id)
            .where(Broadcast.status == SENDING, Recipient.state.in_((QUEUED, CLAIMED, ON_ITS_WAY)))
        ).scalar_one()


def claim(
    broadcast_id: int, limit: int, lease: timedelta, now: Optional[datetime] = None
) -> tuple[str, list[Claimed]]:
    """Up to `limit` rows no one holds (queued, or claimed by a sender whose lease ran
    out), for this sender alone: the token says which rows the conditional update won."""
    now = now or utc_now()
    token = uuid.uuid4().hex
    free = or_(
        Recipient.state == QUEUED, and_(Recipient.state == CLAIMED, Recipient.lease_until < now)
    )
    with session_scope() as session:
        ids = list(
            session.execute(
                select(Recipient.id)
                .where(Recipient.broadcast_id == broadcast_id, free)
                .order_by(Recipient.id)
                .limit(limit)
            ).scalars()
        )
        if not ids:
            return token, []
        session.execute(
            update(Recipient)
            .where(Recipient.id.in_(ids), free)
            .values(state=CLAIMED, claim=token, lease_until=now + lease)
            .execution_options(synchronize_session=False)
        )
    with session_scope() as session:
        rows = session.execute(
            select(Recipient.id, Recipient.pseudonym, Recipient.channel)
            .where(Recipient.claim == token, Recipient.state == CLAIMED)
            .order_by(Recipient.id)
        ).all()
    return token, [Claimed(r.id, r.pseudonym, r.channel) for r in rows]


def go(row_id: int, token: str, lease: timedelta, now: Optional[datetime] = None) -> Optional[str]:
    """Just before a message leaves: None if it may go (the row is now on its way), else
    why not: opted_out (the row is skipped) or stopped (the broadcast is no longer
    sending, or the row is no longer this sender's: it stays for later)."""
    now = now or utc_now()
    recipient = Recipient.__table__
    subscribed = exists().where(
        Subscription.pseudonym == recipient.c.pseudonym, Subscription.opted_out_at.is_(None)
    )
    running = exists().where(Broadcast.id == recipient.c.broadcast_id, Broadcast.status == SENDING)
    with session_scope() as session:
        won = session.execute(
            update(Recipient)
            .where(
                Recipient.id == row_id,
                Recipient.claim == token,
                Recipient.state == CLAIMED,
                subscribed,
                running,
            )
            .values(state=ON_ITS_WAY, attempted_at=now, lease_until=now + lease)
            .execution_options(synchronize_session=False)
        ).rowcount
        if won == 1:
            return None
        skipped = session.execute(
            update(Recipient)
            .where(
                Recipient.id == row_id,
                Recipient.claim == token,
                Recipient.state == CLAIMED,
                ~subscribed,
            )
            .values(state=SKIPPED, reason="opted_out", finished_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
    return "opted_out" if skipped == 1 else "stopped"


def skip(row_id: int, token: str, reason: str, now: Optional[datetime] = None) -> None:
    """A person the line has no way to reach (no WhatsApp number kept)."""
    with session_scope() as session:
        session.execute(
            update(Recipient)
            .where(Recipient.id == row_id, Recipient.claim == token)
            .values(state=SKIPPED, reason=reason, finished_at=now or utc_now())
            .execution_options(synchronize_session=False)
        )


def release(token: str) -> None:
    """Rows claimed and not sent (paused, cancelled, stopping): back in the queue."""
    with session_scope() as session:
        session.execute(
            update(Recipient)
            .where(Recipient.claim == token, Recipient.state == CLAIMED)
            .values(state=QUEUED, claim=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )


def finish(
    row_id: int,
    token: str,
    ok: bool,
    kind: Optional[str],
    reason: Optional[str],
    message_id: Optional[str],
    now: Optional[datetime] = None,
) -> None:
    """What happened to a message on its way. The truth wins over `unconfirmed`, which
    another sender may have written when this one's lease ran out mid-send."""
    with session_scope() as session:
        session.execute(
            update(Recipient)
            .where(
                Recipient.id == row_id,
                Recipient.claim == token,
                Recipient.state.in_((ON_ITS_WAY, UNCONFIRMED)),
            )
            .values(
                state=SENT if ok else FAILED,
                kind=kind,
                reason=reason,
                message_key=pseudonyms.message_key(message_id) if message_id else None,
                finished_at=now or utc_now(),
                lease_until=None,
            )
            .execution_options(synchronize_session=False)
        )


def expire(broadcast_id: int, now: Optional[datetime] = None) -> int:
    """Rows on their way whose sender's lease ran out: it died mid-send, so whether the
    message left is unknown, and it is never sent again."""
    now = now or utc_now()
    with session_scope() as session:
        return session.execute(
            update(Recipient)
            .where(
                Recipient.broadcast_id == broadcast_id,
                Recipient.state == ON_ITS_WAY,
                Recipient.lease_until < now,
            )
            .values(state=UNCONFIRMED, reason="sender_lost", finished_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount


def failing(broadcast_id: int, share: float, window: int) -> bool:
    """More than `share` of the last `window` finished messages failed (since it started
    or was last resumed)."""
    with session_scope() as session:
        since = session.get(Broadcast, broadcast_id).failures_from
        last = (
            select(Recipient.state)
            .where(
                Recipient.broadcast_id == broadcast_id,
                Recipient.state.in_(FINISHED),
                Recipient.finished_at > since,
            )
            .order_by(Recipient.finished_at.desc(), Recipient.id.desc())
            .limit(window)
            .subquery()
        )
        failed = session.execute(
            select(func.count()).select_from(last).where(last.c.state == FAILED)
        ).scalar_one()
    return failed > share * window


def complete_if_drained(broadcast_id: int, now: Optional[datetime] = None) -> bool:
    """Done once no row waits or is on its way."""
    pending = exists().where(
        Recipient.broadcast_id == broadcast_id, Recipient.state.in_((QUEUED, CLAIMED, ON_ITS_WAY))
    )
    with session_scope() as session:
        return (
            session.execute(
                update(Broadcast)
                .where(Broadcast.id == broadcast_id, Broadcast.status == SENDING, ~pending)
                .values(status=DONE, finished_at=now or utc_now())
                .execution_options(synchronize_session=False)
            ).rowcount
            == 1
        )


def templates_used_today(now: Optional[datetime] = None) -> int:
    """People the line started a conversation with (a template, or a message on its way
    whose kind is not known yet) in the last 24 hours: what Meta's tier limits."""
    since = (now or utc_now()) - timedelta(hours=24)
    with session_scope() as session:
        return session.execute(
            select(func.count(func.distinct(Recipient.pseudonym))).where(
                Recipient.attempted_at >= since,
                or_(Recipient.kind == TEMPLATE, Recipient.kind.is_(None)),
                Recipient.state != SKIPPED,
            )
        ).scalar_one()


# --- What Meta and people say afterwards -----------------------------------------------


def record_statuses(updates: Iterable[tuple[str, str, datetime]]) -> int:
    """(message id, status, when) from Meta's status webhooks onto the broadcast's rows;
    other messages' statuses match no row. Returns how many rows changed."""
    changed = 0
    with session_scope() as session:
        for message_id, status, at in updates:
            if status not in STATUSES:
                continue
            key = pseudonyms.message_key(message_id)
            row_match = Recipient.message_key == key
            if status == "failed":
                values, extra = {"state": FAILED, "reason": "status_failed"}, ()
            elif status == "sent":
                continue  # Graph's answer already said so
            else:
                # A read message was delivered, even if that status never came.
                values = {"delivered_at": func.coalesce(Recipient.delivered_at, at)}
                if status == "read":
                    values["read_at"] = func.coalesce(Recipient.read_at, at)
                extra = (Recipient.state == SENT,)
            changed += session.execute(
                update(Recipient)
                .where(row_match, *extra)
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount
    return changed


# The key of a reply's message metadata that names the broadcast it answers (the tracker
# keeps it with the message: channels/whatsapp.py).
REPLY_KEY = "broadcast_id"


def _replying(pseudonym: str, at: datetime) -> tuple:
    """A message at `at` answers the broadcasts that reached the person in the 24 hours
    before. Meta's times are whole seconds: a reply in the second the message left
    still counts."""
    return (
        Recipient.pseudonym == pseudonym,
        Recipient.state == SENT,
        Recipient.finished_at < at + timedelta(seconds=1),
        Recipient.finished_at >= at - timedelta(hours=24),
    )


def record_reply(pseudonym: str, at: datetime) -> None:
    """A message from a person within 24 hours of a broadcast reaching them."""
    with session_scope() as session:
        session.execute(
            update(Recipient)
            .where(*_replying(pseudonym, at), Recipient.replied_at.is_(None))
            .values(replied_at=at)
            .execution_options(synchronize_session=False)
        )


def replied_broadcast(pseudonym: str, at: datetime) -> Optional[int]:
    """The broadcast a message at `at` answers (the latest to reach the person), so the
    conversation that follows carries its id; None when it answers none."""
    with session_scope() as session:
        return session.execute(
            select(Recipient.broadcast_id)
            .where(*_replying(pseudonym, at))
            .order_by(Recipient.finished_at.desc())
            .limit(1)
        ).scalar()


@dataclass(frozen=True)
class Statistics:
    """Where a broadcast stands, for the console and the report."""

    broadcast_id: int
    status: str
    audience: int
    waiting: int
    sent: int
    delivered: int
    read: int
    failed: int
    unconfirmed: int
    skipped: int
    replies_24h: int
    opt_outs_24h: int


def statistics(broadcast_id: int) -> Optional[Statistics]:
    recipient = Recipient
    with session_scope() as session:
        row = session.get(Broadcast, broadcast_id)
        if row is None:
            return None
        states = dict(
            session.execute(
                select(recipient.state, func.count())
                .where(recipient.broadcast_id == broadcast_id)
                .group_by(recipient.state)
            ).all()
        )
        delivered, read, replies = session.execute(
            select(
                func.count(recipient.delivered_at),
                func.count(recipient.read_at),
                func.count(recipient.replied_at),
            ).where(recipient.broadcast_id == broadcast_id)
        ).one()
        # Opting out within a day of the message: the early warning of spam. Compared in
        # Python: date arithmetic differs between SQLite and PostgreSQL.
        pairs = session.execute(
            select(recipient.finished_at, Subscription.opted_out_at)
            .join(Subscription, Subscription.pseudonym == recipient.pseudonym)
            .where(
                recipient.broadcast_id == broadcast_id,
                recipient.state == SENT,
                Subscription.opted_out_at.is_not(None),
            )
        ).all()
    day = timedelta(hours=24)
    opt_outs = sum(1 for sent, out in pairs if sent <= out <= sent + day)
    return Statistics(
        broadcast_id,
        row.status,
        row.audience or 0,
        sum(states.get(s, 0) for s in (QUEUED, CLAIMED, ON_ITS_WAY)),
        states.get(SENT, 0),
        delivered,
        read,
        states.get(FAILED, 0),
        states.get(UNCONFIRMED, 0),
        states.get(SKIPPED, 0),
        replies,
        opt_outs,
    )


def report(since: Optional[datetime] = None) -> list[tuple[Broadcast, Statistics]]:
    """Every broadcast that started (since a time, if given), newest first, with its figures."""
    with session_scope() as session:
        query = select(Broadcast).where(Broadcast.started_at.is_not(None))
        if since is not None:
            query = query.where(Broadcast.started_at >= since)
        rows = list(session.execute(query.order_by(Broadcast.started_at.desc())).scalars())
    return [(row, statistics(row.id)) for row in rows]


def purge(now: Optional[datetime] = None, days: Optional[int] = None) -> int:
    """What is past retention (PRIVACY_DELETE_AFTER_DAYS): the queue rows of broadcasts
    that ended that long ago (the broadcast keeps its audience count), and the
    subscriptions of people who opted out that long ago. Returns the rows deleted."""
    now = now or utc_now()
    cutoff = now - timedelta(
        days=days if days is not None else config.settings.privacy_delete_after_days
    )
    ended = select(Broadcast.id).where(Broadcast.finished_at < cutoff)
    with session_scope() as session:
        rows = session.execute(
            delete(Recipient)
            .where(Recipient.broadcast_id.in_(ended))
            .execution_options(synchronize_session=False)
        ).rowcount
        rows += session.execute(
            delete(Subscription)
            .where(Subscription.opted_out_at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount
    return rows


def forget(session, pseudonym: str) -> None:
    """Part of erasing a person's data ("borrar mis datos"), in the caller's transaction:
    the subscription goes, and the person's queue rows lose their pseudonym (the
    broadcast's figures stay, about no one)."""
    subscriptions.forget(session, pseudonym)
    for row in session.execute(select(Recipient).where(Recipient.pseudonym == pseudonym)).scalars():
        row.pseudonym = f"erased-{row.id}"
        if row.state in (QUEUED, CLAIMED):
            row.state, row.reason = SKIPPED, "erased"
