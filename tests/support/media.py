"""Small real files of every type the line keeps, made here so no binary sits in git:
a voice note (Ogg Opus of silence, any length), an MP3, a JPEG, a PNG and a PDF."""

from __future__ import annotations

import io
import math
import struct

from PIL import Image

OPUS_RATE = 48000
OPUS_PRE_SKIP = 312
# One 20 ms Opus frame of silence (CELT, mono): what voice notes are made of, quietly.
OPUS_SILENCE = b"\xf8\xff\xfe"
OPUS_FRAME_SAMPLES = 960


def _ogg_crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def _ogg_page(packets: list[bytes], granule: int, sequence: int, flags: int) -> bytes:
    lacing = b"".join(bytes([len(p)]) for p in packets)  # every packet under 255 bytes
    header = struct.pack(
        "<4sBBqIIIB", b"OggS", 0, flags, granule, 0x4C494E45, sequence, 0, len(packets)
    )
    page = header + lacing + b"".join(packets)
    crc = _ogg_crc(page)
    return page[:22] + struct.pack("<I", crc) + page[26:]


def ogg_opus(seconds: float) -> bytes:
    """A WhatsApp-like voice note of `seconds` of silence (audio/ogg; codecs=opus)."""
    head = b"OpusHead" + struct.pack("<BBHIhB", 1, 1, OPUS_PRE_SKIP, OPUS_RATE, 0, 0)
    tags = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)
    pages = [_ogg_page([head], 0, 0, 0x02), _ogg_page([tags], 0, 1, 0)]
    total = OPUS_PRE_SKIP + round(seconds * OPUS_RATE)
    frames = math.ceil(total / OPUS_FRAME_SAMPLES)
    done, sequence = 0, 2
    while done < frames:
        count = min(50, frames - done)
        done += count
        last = done == frames
        granule = total if last else done * OPUS_FRAME_SAMPLES
        pages.append(_ogg_page([OPUS_SILENCE] * count, granule, sequence, 0x04 if last else 0))
        sequence += 1
    return b"".join(pages)


def mp3(seconds: float) -> bytes:
    """Silent MPEG-1 Layer III frames, 128 kbit/s at 44.1 kHz (audio/mpeg)."""
    frame = b"\xff\xfb\x90\x64" + bytes(413)  # 417 bytes, 1152 samples
    return frame * round(seconds * 44100 / 1152)


def jpeg(width: int = 64, height: int = 48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 40)).save(out, "JPEG")
    return out.getvalue()


def png(width: int = 32, height: int = 32) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (20, 90, 200)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    """One empty page: enough for a viewer and for the type check."""
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
