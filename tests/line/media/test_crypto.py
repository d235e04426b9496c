"""Media at rest: sealed with MEDIA_KEY, bound to its row, unreadable with another key."""

import dataclasses
import os
import stat

import pytest

from line.core import settings as config
from line.media import crypto


def test_a_sealed_file_opens_only_with_its_key_and_its_place(keyed, monkeypatch):
    voice = b"OggS" + os.urandom(5000)
    sealed = crypto.seal(voice, "media:1:content")
    assert sealed != voice and voice[:32] not in sealed
    assert crypto.open_sealed(sealed, "media:1:content") == voice
    with pytest.raises(crypto.KeyUnusable):
        crypto.open_sealed(sealed, "media:2:content")  # copied onto another row
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, media_key=crypto.new_key())
    )
    with pytest.raises(crypto.KeyUnusable, match="changed key"):
        crypto.open_sealed(sealed, "media:1:content")


@pytest.mark.parametrize("key", ["not base64 !!", "c2hvcnQ="])
def test_a_key_that_is_not_32_bytes_of_base64_is_refused_clearly(monkeypatch, key):
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, media_key=key))
    with pytest.raises(crypto.KeyUnusable, match="MEDIA_KEY"):
        crypto.seal(b"x", "media:1:content")


def test_without_media_key_one_is_created_once_readable_by_its_owner_only(tmp_path, monkeypatch):
    path = tmp_path / "var" / "media_key"
    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, media_key="", media_key_file=path)
    )
    sealed = crypto.seal(b"hola", "media:1:content")
    first = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert crypto.open_sealed(sealed, "media:1:content") == b"hola"
    assert path.read_text() == first
