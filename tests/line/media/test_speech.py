"""Transcription where a speech model is installed: which model a folder holds, the
adapters (driven here by stand-ins of faster-whisper, Vosk and PyAV) and failures that
leave the audio as it was."""

import json
import sys
import types

import pytest

from line.media import speech, store
from tests.support import media as files


@pytest.fixture(autouse=True)
def fresh_models():
    speech.load.cache_clear()
    yield
    speech.load.cache_clear()


def fake_module(monkeypatch, name: str, **attributes) -> types.ModuleType:
    module = types.ModuleType(name)
    for key, value in attributes.items():
        setattr(module, key, value)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_a_faster_whisper_folder_is_loaded_on_the_cpu_and_heard_in_spanish(tmp_path, monkeypatch):
    (tmp_path / "model.bin").write_bytes(b"")
    calls = {}

    class WhisperModel:
        def __init__(self, path, device, compute_type):
            calls["model"] = (path, device, compute_type)

        def transcribe(self, audio, language):
            calls["audio"] = (audio.read(), language)
            segment = types.SimpleNamespace
            return iter([segment(text=" donde me "), segment(text="vacuno ")]), None

    fake_module(monkeypatch, "faster_whisper", WhisperModel=WhisperModel)
    model = speech.load(str(tmp_path))
    assert model.transcribe(b"OggS...", "audio/ogg") == "donde me vacuno"
    assert calls == {"model": (str(tmp_path), "cpu", "int8"), "audio": (b"OggS...", "es")}


def test_a_vosk_folder_hears_16_khz_mono_samples(tmp_path, monkeypatch):
    (tmp_path / "am").mkdir()
    heard = {}

    class Recognizer:
        def __init__(self, model, rate):
            heard["rate"] = rate

        def AcceptWaveform(self, samples):
            heard["samples"] = samples

        def FinalResult(self):
            return json.dumps({"text": "necesito ayuda"})

    class Frame:
        def to_ndarray(self):
            return types.SimpleNamespace(tobytes=lambda: b"\x01\x00")

    class Container:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def decode(self, audio):
            return [object(), object()]

    class Resampler:
        def __init__(self, format, layout, rate):
            heard["resampled"] = (format, layout, rate)

        def resample(self, frame):
            return [Frame()]

    fake_module(monkeypatch, "vosk", Model=lambda path: path, KaldiRecognizer=Recognizer)
    fake_module(monkeypatch, "av", open=lambda data: Container(), AudioResampler=Resampler)
    model = speech.load(str(tmp_path))
    assert model.transcribe(b"OggS", "audio/ogg") == "necesito ayuda"
    assert heard == {
        "rate": 16000,
        "samples": b"\x01\x00\x01\x00",
        "resampled": ("s16", "mono", 16000),
    }


def test_a_folder_without_a_known_model_or_without_its_package_says_what_to_do(
    tmp_path, monkeypatch
):
    with pytest.raises(speech.SpeechUnavailable, match="neither"):
        speech.load(str(tmp_path))
    (tmp_path / "model.bin").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # not installed
    with pytest.raises(speech.SpeechUnavailable, match="pip install faster-whisper"):
        speech.load(str(tmp_path))


def stored_voice() -> int:
    media_id, _ = store.add("ana", "whatsapp", "audio", "1", "audio/ogg")
    store.keep(media_id, files.ogg_opus(2), "audio/ogg", 2.0, store.TRANSCRIPT_WAITING)
    return media_id


def test_a_model_that_fails_leaves_the_audio_and_marks_the_transcript_failed(
    media_db, monkeypatch, caplog
):
    class Broken:
        def transcribe(self, audio, mime_type):
            raise RuntimeError("out of memory")

    monkeypatch.setattr(speech, "load", lambda model_dir: Broken())
    media_id = stored_voice()
    assert speech.transcribe(media_id) is None
    item = store.item(media_id)
    assert (item["state"], item["transcript_state"]) == ("stored", "failed")
    assert "RuntimeError" in caplog.text


def test_a_transcript_goes_through_the_model_once(media_db, monkeypatch):
    monkeypatch.setattr(
        speech,
        "load",
        lambda model_dir: types.SimpleNamespace(transcribe=lambda audio, mime: "hola"),
    )
    media_id = stored_voice()
    assert speech.transcribe(media_id) == "hola"
    assert store.take_transcript_turn(media_id) is True
    assert store.take_transcript_turn(media_id) is False
