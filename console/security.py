"""CSRF tokens and the secret that signs them.

A token is an HMAC of the session token (or, before login, of a random
pre-session cookie): a page of another site can neither read nor forge it, and
the server stores nothing per form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from line.core import access
from line.core.settings import Settings


def load_secret(cfg: Settings) -> bytes:
    """The configured secret, or one generated once and kept in a private file."""
    if cfg.console_secret:
        return cfg.console_secret.encode("utf-8")
    return access.kept_secret(cfg.console_secret_file, lambda: secrets.token_hex(32)).encode(
        "utf-8"
    )


def csrf_token(secret: bytes, session_token: str) -> str:
    return hmac.new(secret, session_token.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session_token: str, submitted: str) -> bool:
    return bool(session_token and submitted) and hmac.compare_digest(
        csrf_token(secret, session_token), submitted
    )
