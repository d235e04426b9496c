"""Console accounts and their sessions.

Passwords are stored as Argon2id hashes. Sessions are kept server-side (only a
hash of the cookie's random token is stored), so deactivating an operator ends
their sessions at once and a stolen database does not yield usable cookies.
Failed logins are counted per account name and per address, so that guessing
passwords stops after a few tries whichever one the guesser changes.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.exc import IntegrityError

from line.core.db import Base, session_scope, utc_now

OPERATOR, COORDINATOR, EDITOR, TRAINER = "operator", "coordinator", "editor", "trainer"
ROLES = (OPERATOR, COORDINATOR, EDITOR, TRAINER)
CASES, COORDINATION, CONTENT, TRAINING, REPORTS = (
    "cases",
    "coordination",
    "content",
    "training",
    "reports",
)
# Who may use each part of the console. An editor or a trainer never sees a person's case;
# an operator never changes what the line says. Coordinators may do everything.
AREAS = {
    CASES: (OPERATOR, COORDINATOR),
    COORDINATION: (COORDINATOR,),
    CONTENT: (EDITOR, COORDINATOR),
    TRAINING: (TRAINER, EDITOR, COORDINATOR),
    REPORTS: (COORDINATOR, EDITOR, TRAINER),
}
MIN_PASSWORD_LENGTH = 10
USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")

hasher = PasswordHasher()
# Verified when the username is unknown, so a login takes as long either way and
# does not reveal which usernames exist.
_DUMMY_HASH = hasher.hash(secrets.token_hex(16))


class Operator(Base):
    __tablename__ = "operators"

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(DateTime, nullable=False, default=utc_now)


class ConsoleSession(Base):
    __tablename__ = "console_sessions"

    token_hash = Column(String(64), primary_key=True)
    operator_id = Column(ForeignKey("operators.id"), nullable=False, index=True)
    created_at = Column(DateTime, nullable=False, default=utc_now)
    last_seen_at = Column(DateTime, nullable=False, default=utc_now)
    flash = Column(Text, nullable=True)  # JSON list of messages for the next page


class LoginFailures(Base):
    """Recent failed logins of one account name or one address. The key is a hash:
    what people type as a username is sometimes their password."""

    __tablename__ = "console_login_failures"

    key = Column(String(64), primary_key=True)
    failures = Column(Integer, nullable=False)
    last_failed_at = Column(DateTime, nullable=False)
    locked_until = Column(DateTime, nullable=True)


@dataclass(frozen=True)
class Limits:
    """How many failures lock an account name and an address, and for how long."""

    account: int
    address: int
    lock: timedelta


class AccountError(ValueError):
    """An account cannot be created as asked; `code` names the rule for the form."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _public(operator: Operator) -> dict:
    return {
        "id": operator.id,
        "username": operator.username,
        "role": operator.role,
        "active": operator.active,
        "created_at": operator.created_at,
    }


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def create(username: str, password: str, role: str) -> dict:
    username = normalize_username(username)
    if not USERNAME.match(username):
        raise AccountError("bad_username")
    if role not in ROLES:
        raise AccountError("bad_role")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError("short_password")
    try:
        with session_scope() as session:
            operator = Operator(
                username=username, password_hash=hasher.hash(password), role=role, active=True
            )
            session.add(operator)
            session.flush()
            return _public(operator)
    except IntegrityError as exc:
        raise AccountError("username_taken") from exc


def _verified(session, username: str, password: str) -> Optional[dict]:
    operator = session.execute(
        select(Operator).where(Operator.username == normalize_username(username))
    ).scalar_one_or_none()
    try:
        hasher.verify(operator.password_hash if operator else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if operator is None or not operator.active:
        return None
    if hasher.check_needs_rehash(operator.password_hash):
        operator.password_hash = hasher.hash(password)
    return _public(operator)


def authenticate(username: str, password: str) -> Optional[dict]:
    """The active operator with these credentials, or None."""
    with session_scope() as session:
        return _verified(session, username, password)


def login(
    username: str, password: str, address: str, limits: Limits, now: Optional[datetime] = None
) -> tuple[Optional[dict], bool]:
    """(the operator, or None; whether the account name or the address is locked).
    While locked, not even the right password opens: the guesser learns nothing.
    A success clears the account name's failures, never the address's."""
    now = now or utc_now()
    # The account name's key first: a success clears that one.
    limit = {
        _digest("account:" + normalize_username(username)): limits.account,
        _digest("address:" + address): limits.address,
    }
    try:
        return _login(username, password, limit, limits.lock, now)
    except IntegrityError:  # a first failure of the same name or address at the same time
        return _login(username, password, limit, limits.lock, now)


def _login(
    username: str, password: str, limit: dict, lock: timedelta, now: datetime
) -> tuple[Optional[dict], bool]:
    account = next(iter(limit))
    with session_scope() as session:
        rows = {key: session.get(LoginFailures, key, with_for_update=True) for key in limit}
        if any(row and row.locked_until and row.locked_until > now for row in rows.values()):
            return None, True
        user = _verified(session, username, password)
        if user is not None:
            if rows[account] is not None:
                session.delete(rows[account])
            return user, False
        locked = False
        for key, row in rows.items():
            if row is None:
                row = LoginFailures(key=key, failures=0)
                session.add(row)
            elif now - row.last_failed_at > lock:
                row.failures = 0
            row.failures += 1
            row.last_failed_at = now
            if row.failures >= limit[key]:
                row.failures, row.locked_until = 0, now + lock
                locked = True
        return None, locked


def operators() -> list[dict]:
    with session_scope() as session:
        rows = session.execute(select(Operator).order_by(Operator.username)).scalars()
        return [_public(o) for o in rows]


def set_active(operator_id: int, active: bool) -> Optional[dict]:
    """(De)activate an account; deactivation also ends its sessions."""
    with session_scope() as session:
        operator = session.get(Operator, operator_id)
        if operator is None:
            return None
        operator.active = active
        if not active:
            session.execute(delete(ConsoleSession).where(ConsoleSession.operator_id == operator_id))
        return _public(operator)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(operator_id: int, now: Optional[datetime] = None) -> str:
    """A fresh random token for the cookie (never reused, so no session fixation)."""
    token = secrets.token_urlsafe(32)
    now = now or utc_now()
    with session_scope() as session:
        session.add(
            ConsoleSession(
                token_hash=_digest(token), operator_id=operator_id, created_at=now, last_seen_at=now
            )
        )
    return token


def session_user(
    token: str,
    idle: timedelta,
    lifetime: timedelta,
    now: Optional[datetime] = None,
    active: bool = True,
) -> Optional[dict]:
    """The operator behind a session token, or None when it is unknown, idle too
    long, too old or its account was deactivated (the session is then removed).
    Only an `active` request (not a page refreshing itself) counts as activity."""
    now = now or utc_now()
    with session_scope() as session:
        row = session.get(ConsoleSession, _digest(token))
        if row is None:
            return None
        operator = session.get(Operator, row.operator_id)
        if (
            operator is None
            or not operator.active
            or now - row.last_seen_at > idle
            or now - row.created_at > lifetime
        ):
            session.delete(row)
            return None
        if active and now - row.last_seen_at > timedelta(minutes=1):
            row.last_seen_at = now
        return _public(operator)


def end_session(token: str) -> None:
    with session_scope() as session:
        session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))


def push_flash(token: str, kind: str, code: str, **params) -> None:
    """Keep a message for the next page the operator sees (after a redirect)."""
    with session_scope() as session:
        row = session.get(ConsoleSession, _digest(token))
        if row is not None:
            messages = json.loads(row.flash or "[]")
            messages.append({"kind": kind, "code": code, "params": params})
            row.flash = json.dumps(messages)


def pop_flash(token: str) -> list[dict]:
    with session_scope() as session:
        row = session.get(ConsoleSession, _digest(token))
        if row is None or not row.flash:
            return []
        messages = json.loads(row.flash)
        row.flash = None
        return messages


def may(user: dict, area: str) -> bool:
    """Whether this account's role opens `area` (one of AREAS)."""
    return user["role"] in AREAS[area]
