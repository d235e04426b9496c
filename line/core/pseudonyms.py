"""Keyed pseudonyms, so trackers, logs and reports never hold a phone number.

A plain hash of a phone number is no protection: every number in Peru can be
hashed in minutes. An HMAC with a secret kept out of the data is, and the same
number always gives the same pseudonym, so a person's history stays together.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Optional

from line.core import settings as config

PREFIX = "wa-"
_PHONE_PUNCTUATION = re.compile(r"[\s().+-]")


class MissingSecret(RuntimeError):
    """PSEUDONYM_SECRET is not set: refusing beats writing linkable identifiers."""


def normalize(identifier: str) -> str:
    """One spelling per person: "+51 987-654-321" and "51987654321" are the same number.
    Anything that is not a phone number (a WhatsApp user id) is kept as written."""
    value = (identifier or "").strip()
    digits = _PHONE_PUNCTUATION.sub("", value)
    normalized = digits if digits.isdigit() else value
    if not normalized:
        raise ValueError("empty identifier")
    return normalized


def _digest(purpose: str, value: str, secret: Optional[str]) -> str:
    key = secret if secret is not None else config.settings.pseudonym_secret
    if not key:
        raise MissingSecret("PSEUDONYM_SECRET is not set")
    # The purpose keeps a sender pseudonym and a message key from ever coinciding.
    message = f"{purpose}:{value}".encode("utf-8")
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def pseudonym(identifier: str, secret: Optional[str] = None) -> str:
    """The Rasa sender_id of a WhatsApp user: "wa-" and 32 hex digits (128 bits)."""
    return PREFIX + _digest("sender", normalize(identifier), secret)[:32]


def message_key(message_id: str, secret: Optional[str] = None) -> str:
    """What the de-duplication store keeps of a message id: WhatsApp ids embed the
    sender's number, so they are stored only in this keyed form."""
    return _digest("message", message_id, secret)[:40]
