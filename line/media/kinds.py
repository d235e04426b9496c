"""What the line accepts from a person's phone, decided in one place: the kinds of
media, the file types kept (and how each must start, so a file is what it says it is),
and what the console does with each.
"""

from __future__ import annotations

import io
import logging
from typing import Optional

import mutagen

logger = logging.getLogger(__name__)

AUDIO = "audio"
IMAGE = "image"
DOCUMENT = "document"
VIDEO = "video"
STICKER = "sticker"
# WhatsApp message type -> kind. A voice note is an "audio" message marked voice.
KIND_OF_TYPE = {
    "audio": AUDIO,
    "voice": AUDIO,
    "image": IMAGE,
    "document": DOCUMENT,
    "video": VIDEO,
    "sticker": STICKER,
}
# The types kept, each with the bytes its files start with. Anything else is refused.
SIGNATURES = {
    "audio/ogg": (b"OggS",),
    "audio/mpeg": (b"ID3", b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "application/pdf": (b"%PDF-",),
}
# How the console shows each type: an audio player, the picture, a download link.
SHOWN_AS = {
    "audio/ogg": "audio",
    "audio/mpeg": "audio",
    "image/jpeg": "image",
    "image/png": "image",
    "application/pdf": "download",
}
# Why a file is refused (the console says each in Spanish).
BAD_ID = "bad_media_id"
WRONG_TYPE = "wrong_type"
TOO_LARGE = "too_large"
EMPTY = "empty"


def kind_of(message_type: str) -> str:
    return KIND_OF_TYPE.get(message_type, DOCUMENT)


def base_type(mime_type: str) -> str:
    """ "audio/ogg; codecs=opus" -> "audio/ogg"."""
    return (mime_type or "").split(";")[0].strip().lower()


def refusal(content: bytes, mime_type: str, max_bytes: int) -> Optional[str]:
    """None when the file may be kept and shown, else why not."""
    mime_type = base_type(mime_type)
    if mime_type not in SIGNATURES:
        return WRONG_TYPE
    if not content:
        return EMPTY
    if len(content) > max_bytes:
        return TOO_LARGE
    if not content.startswith(SIGNATURES[mime_type]):
        return WRONG_TYPE
    return None


def duration(content: bytes, mime_type: str) -> Optional[float]:
    """Seconds of an audio file (for "🎧 audio 0:42"), None when unknown."""
    if SHOWN_AS.get(base_type(mime_type)) != "audio":
        return None
    try:
        found = mutagen.File(io.BytesIO(content))
    except Exception as exc:  # a malformed file must never stop its keeping
        logger.info("audio length unknown: %s", type(exc).__name__)
        return None
    seconds = getattr(getattr(found, "info", None), "length", None)
    return round(float(seconds), 1) if seconds and seconds > 0 else None
