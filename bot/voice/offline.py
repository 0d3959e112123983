"""Offline speech: eSpeak NG from the espeakng-loader wheel, driven through its C API."""

from __future__ import annotations

import ctypes
import logging
import threading
from typing import TYPE_CHECKING, Any

from bot.config import OfflineVoiceConfig
from bot.threads import in_daemon_thread
from bot.voice.providers import SpeechFailed, VoiceInfo

if TYPE_CHECKING:
    import numpy as np

    from bot.voice.audio import Pcm

log = logging.getLogger(__name__)

_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: samples come back through the callback
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE_PARAM = 1  # espeakRATE, words per minute
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
# Ids offered before, which eSpeak NG does not know by that name (it calls British English
# "en"): personas that chose them keep speaking.
RENAMED = {"en-gb": "en", "en-gb+f2": "en+f2"}
# A readable choice of eSpeak's voices and variants (+f = female, +m = male); a test makes
# every one of them speak.
VOICES = (
    VoiceInfo("en-us", "American English"),
    VoiceInfo("en-us+f3", "American English, female"),
    VoiceInfo("en", "British English"),
    VoiceInfo("en+f2", "British English, female"),
    VoiceInfo("en-gb-scotland", "Scottish English"),
    VoiceInfo("fr", "French"),
    VoiceInfo("de", "German"),
    VoiceInfo("es", "Spanish"),
    VoiceInfo("it", "Italian"),
    VoiceInfo("pt-br", "Brazilian Portuguese"),
    VoiceInfo("nl", "Dutch"),
    VoiceInfo("ru", "Russian"),
)


class _Engine:
    """The library, loaded once per process; eSpeak is not thread-safe, so one lock."""

    _instance: _Engine | None = None
    _guard = threading.Lock()

    def __init__(self) -> None:
        import espeakng_loader

        self.lib: Any = ctypes.cdll.LoadLibrary(espeakng_loader.get_library_path())
        data = espeakng_loader.get_data_path().encode()
        self.rate = int(self.lib.espeak_Initialize(_SYNCHRONOUS, 0, data, 0))
        if self.rate <= 0:
            raise SpeechFailed("eSpeak NG failed to start")
        self.lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept referenced: C holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)

    @classmethod
    def get(cls) -> _Engine:
        with cls._guard:
            if cls._instance is None:
                cls._instance = cls()
            return cls._instance

    def _collect(self, wav: Any, count: int, events: Any) -> int:
        import numpy as np

        if count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def synth(self, text: str, voice: str, wpm: int) -> Pcm:
        import numpy as np

        from bot.voice.audio import Pcm

        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise SpeechFailed(f"eSpeak has no voice '{voice}'")
            self.lib.espeak_SetParameter(_RATE_PARAM, wpm, 0)
            self._chunks = []
            raw = text.encode("utf-8")
            status = self.lib.espeak_Synth(
                ctypes.c_char_p(raw), len(raw) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
            )
            if status != 0:
                raise SpeechFailed(f"eSpeak failed (status {status})")
            samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
            return Pcm(samples.astype(np.int16), self.rate)


class EspeakProvider:
    """Speech with no key and no network; robotic but always there."""

    name = "offline"
    max_chars = 5000
    can_clone = False

    def __init__(self, config: OfflineVoiceConfig) -> None:
        self.config = config
        self.default_voice = config.voice
        self.model = f"espeak-ng@{config.words_per_minute}wpm"

    async def speak(self, text: str, voice: str) -> Pcm:
        """Synthesize in a worker thread."""
        chosen = voice or self.config.voice
        chosen = RENAMED.get(chosen, chosen)
        if chosen not in {v.id for v in VOICES} and "+" not in chosen:
            chosen = self.config.voice  # an ElevenLabs id on a persona: use the default
        engine = await in_daemon_thread(_Engine.get)
        return await in_daemon_thread(engine.synth, text, chosen, self.config.words_per_minute)

    async def voices(self) -> list[VoiceInfo]:
        """The offline voices."""
        return list(VOICES)

    async def clone(self, name: str, filename: str, sample: bytes) -> str:
        """Offline speech cannot clone voices."""
        raise SpeechFailed("voice cloning needs ElevenLabs (set ELEVENLABS_API_KEY)")

    async def delete(self, voice_id: str) -> None:
        """Nothing to delete offline."""
