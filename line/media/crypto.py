"""Media encrypted at rest: AES-256-GCM with MEDIA_KEY (line/core/settings.py).

Each sealed value is bound to its row and field (associated data), so a value copied
onto another row does not open. A database dump without the key holds no voice and no
picture.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from line.core import access
from line.core import settings as config

NONCE_BYTES = 12
KEY_BYTES = 32


class KeyUnusable(RuntimeError):
    """MEDIA_KEY is not 32 bytes of URL-safe base64, or does not open what was sealed."""


def new_key() -> str:
    """A fresh MEDIA_KEY value (docs/whatsapp.md says how to make one)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def _key_text() -> str:
    """MEDIA_KEY, or a key created once in MEDIA_KEY_FILE (readable by its owner only)."""
    cfg = config.settings
    if cfg.media_key:
        return cfg.media_key
    return access.kept_secret(cfg.media_key_file, new_key)


@lru_cache(maxsize=4)
def _cipher(key_text: str) -> AESGCM:
    try:
        key = base64.urlsafe_b64decode(key_text.encode())
    except (binascii.Error, ValueError) as exc:
        raise KeyUnusable("MEDIA_KEY is not URL-safe base64") from exc
    if len(key) != KEY_BYTES:
        raise KeyUnusable(f"MEDIA_KEY must be {KEY_BYTES} bytes, not {len(key)}")
    return AESGCM(key)


def seal(plain: bytes, bound_to: str) -> bytes:
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + _cipher(_key_text()).encrypt(nonce, plain, bound_to.encode())


def open_sealed(sealed: bytes, bound_to: str) -> bytes:
    try:
        return _cipher(_key_text()).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], bound_to.encode()
        )
    except InvalidTag as exc:
        raise KeyUnusable("media does not open with MEDIA_KEY (changed key?)") from exc
