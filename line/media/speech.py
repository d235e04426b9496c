"""Transcripts of voice notes, where the deployer installed a local speech model.

ASR_MODEL_DIR points at a faster-whisper model (a CTranslate2 folder with model.bin;
`pip install faster-whisper`) or a Vosk model (a folder with am/ and conf/;
`pip install vosk av`). Nothing is downloaded at run time: the folder is all there is.
Without the setting nothing is transcribed and nothing changes. The operator reads the
transcript beside the audio, and the channel passes it through the model as the
person's message, so danger in a voice note still gets the emergency path.
"""

from __future__ import annotations

import io
import json
import logging
from functools import lru_cache
from pathlib import Path
from typing import Optional, Protocol

from line.core import settings as config
from line.media import store

logger = logging.getLogger(__name__)

LANGUAGE = "es"
VOSK_RATE = 16000


class SpeechUnavailable(RuntimeError):
    """ASR_MODEL_DIR holds no model this module knows, or its package is missing."""


class Transcriber(Protocol):
    def transcribe(self, audio: bytes, mime_type: str) -> str: ...


class FasterWhisper:
    def __init__(self, path: Path) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise SpeechUnavailable("pip install faster-whisper to use " + str(path)) from exc
        self.model = WhisperModel(str(path), device="cpu", compute_type="int8")

    def transcribe(self, audio: bytes, mime_type: str) -> str:
        segments, _ = self.model.transcribe(io.BytesIO(audio), language=LANGUAGE)
        return " ".join(segment.text.strip() for segment in segments)


class Vosk:
    def __init__(self, path: Path) -> None:
        try:
            import av  # noqa: F401 (decodes Ogg Opus and MP3 for Vosk)
            import vosk
        except ImportError as exc:
            raise SpeechUnavailable("pip install vosk av to use " + str(path)) from exc
        self.vosk = vosk
        self.model = vosk.Model(str(path))

    def transcribe(self, audio: bytes, mime_type: str) -> str:
        recognizer = self.vosk.KaldiRecognizer(self.model, VOSK_RATE)
        recognizer.AcceptWaveform(_pcm(audio))
        return json.loads(recognizer.FinalResult()).get("text", "")


def _pcm(audio: bytes) -> bytes:
    """16 kHz mono 16-bit samples, what Vosk listens to."""
    import av

    samples = bytearray()
    with av.open(io.BytesIO(audio)) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=VOSK_RATE)
        for frame in container.decode(audio=0):
            for resampled in resampler.resample(frame):
                samples += resampled.to_ndarray().tobytes()
    return bytes(samples)


@lru_cache(maxsize=2)
def load(model_dir: str) -> Transcriber:
    """The model in `model_dir`, loaded once per process."""
    path = Path(model_dir)
    if (path / "model.bin").is_file():
        return FasterWhisper(path)
    if (path / "am").is_dir() or (path / "conf" / "model.conf").is_file():
        return Vosk(path)
    raise SpeechUnavailable(f"{path} holds neither a faster-whisper nor a Vosk model")


def transcribe(media_id: int) -> Optional[str]:
    """The transcript of a stored voice note, kept sealed beside it; None when there is
    none (no speech heard, or the model failed: logged, the audio is still there).
    Blocking and CPU-heavy: run it off the event loop."""
    try:
        model = load(config.settings.asr_model_dir)
        audio, mime_type = store.content(media_id)
        text = " ".join(model.transcribe(audio, mime_type).split()) or None
    except SpeechUnavailable as exc:
        logger.error("voice note %d not transcribed: %s", media_id, exc)
        text = None
    except Exception as exc:  # a model failing on one file must not stop the line
        logger.error("voice note %d not transcribed: %s", media_id, type(exc).__name__)
        text = None
    store.keep_transcript(media_id, text)
    return text
