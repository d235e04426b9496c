"""CSRF tokens and the secret that signs them.

A token is an HMAC of the session token (or, before login, of a random
pre-session cookie): a page of another site can neither read nor forge it, and
the server stores nothing per form.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

from line.core.settings import Settings


def load_secret(cfg: Settings) -> bytes:
    """The configured secret, or one generated once and kept in a private file."""
    if cfg.console_secret:
        return cfg.console_secret.encode("utf-8")
    path = cfg.console_secret_file
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def csrf_token(secret: bytes, session_token: str) -> str:
    return hmac.new(secret, session_token.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session_token: str, submitted: str) -> bool:
    return bool(session_token and submitted) and hmac.compare_digest(
        csrf_token(secret, session_token), submitted
    )
