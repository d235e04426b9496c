"""Console accounts and their sessions.

Passwords are stored as Argon2id hashes. Sessions are kept server-side (only a
hash of the cookie's random token is stored), so deactivating an operator ends
their sessions at once and a stolen database does not yield usable cookies.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import datetime, timedelta
from typing import Optional

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, String, Text, delete, select
from sqlalchemy.exc import IntegrityError

from line.core.db import Base, session_scope, utc_now

ROLES = ("operator", "coordinator")
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


def authenticate(username: str, password: str) -> Optional[dict]:
    """The active operator with these credentials, or None."""
    with session_scope() as session:
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


def start_session(operator_id: int) -> str:
    """A fresh random token for the cookie (never reused, so no session fixation)."""
    token = secrets.token_urlsafe(32)
    with session_scope() as session:
        session.add(ConsoleSession(token_hash=_digest(token), operator_id=operator_id))
    return token


def session_user(
    token: str, idle: timedelta, lifetime: timedelta, now: Optional[datetime] = None
) -> Optional[dict]:
    """The operator behind a session token, or None when it is unknown, idle too
    long, too old or its account was deactivated (the session is then removed)."""
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
        if now - row.last_seen_at > timedelta(minutes=1):
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
