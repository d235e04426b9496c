"""What is kept: five types, each only when its bytes are what the type says."""

import pytest

from line.media import kinds
from tests.support import media as files

LIMIT = 16 * 1024 * 1024


@pytest.mark.parametrize(
    "content, mime_type, refusal",
    [
        (files.ogg_opus(2), "audio/ogg; codecs=opus", None),
        (files.mp3(2), "audio/mpeg", None),
        (files.jpeg(), "image/jpeg", None),
        (files.png(), "image/png", None),
        (files.pdf(), "application/pdf", None),
        (files.pdf(), "image/jpeg", "wrong_type"),  # a PDF calling itself a photo
        (files.jpeg(), "audio/ogg", "wrong_type"),
        (b"<html><script>alert(1)</script>", "image/png", "wrong_type"),
        (b"PK\x03\x04", "application/zip", "wrong_type"),
        (b"\x00" * 10, "video/mp4", "wrong_type"),
        (b"", "audio/ogg", "empty"),
        (b"OggS" + bytes(100), "audio/ogg", None),
    ],
)
def test_refusal(content, mime_type, refusal):
    assert kinds.refusal(content, mime_type, LIMIT) == refusal


def test_a_file_over_the_limit_is_refused():
    assert kinds.refusal(files.ogg_opus(30), "audio/ogg", 1000) == "too_large"


def test_audio_length_is_read_from_the_file_and_unknown_otherwise():
    assert kinds.duration(files.ogg_opus(42), "audio/ogg") == 42.0
    assert kinds.duration(files.mp3(10), "audio/mpeg") == 10.0
    assert kinds.duration(b"OggS broken", "audio/ogg") is None
    assert kinds.duration(files.jpeg(), "image/jpeg") is None


def test_every_kept_type_has_a_way_to_be_shown():
    assert set(kinds.SIGNATURES) == set(kinds.SHOWN_AS)
    assert kinds.kind_of("voice") == kinds.kind_of("audio") == "audio"
