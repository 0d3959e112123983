"""ElevenLabs through its official async SDK: speech, the voice list, instant voice clones."""

from __future__ import annotations

import logging
import re
import time

from bot.config import ElevenLabsConfig
from bot.voice.audio import Pcm, decode, pcm_from_raw
from bot.voice.providers import SpeechFailed, VoiceInfo

log = logging.getLogger(__name__)

DEFAULT_VOICE = "21m00Tcm4TlvDq8ikWAM"  # "Rachel", one of ElevenLabs' premade voices
_PCM = re.compile(r"^pcm_(\d+)$")


class ElevenLabsProvider:
    """Speaks with ElevenLabs voices; clones voices from samples (instant voice cloning)."""

    name = "elevenlabs"
    can_clone = True
    default_voice = DEFAULT_VOICE

    def __init__(self, config: ElevenLabsConfig, api_key: str) -> None:
        from elevenlabs.client import AsyncElevenLabs

        self.config = config
        self.model = config.model
        self.max_chars = config.max_chars
        self.client = AsyncElevenLabs(api_key=api_key, base_url=config.base_url.rstrip("/"))
        self._voices: tuple[float, list[VoiceInfo]] | None = None

    def _failure(self, what: str, exc: Exception) -> SpeechFailed:
        status = getattr(exc, "status_code", None)
        detail = f"HTTP {status}" if status else type(exc).__name__
        log.warning("elevenlabs %s failed: %s", what, detail)  # never the key, never the body
        return SpeechFailed(f"ElevenLabs could not {what} ({detail})")

    async def speak(self, text: str, voice: str) -> Pcm:
        """One request; pcm_* is used as is, other formats are decoded."""
        try:
            stream = self.client.text_to_speech.convert(
                voice or self.default_voice,
                text=text,
                model_id=self.config.model,
                output_format=self.config.output_format,
            )
            data = b"".join([chunk async for chunk in stream])
        except Exception as exc:
            raise self._failure("speak", exc) from exc
        match = _PCM.match(self.config.output_format)
        return pcm_from_raw(data, int(match.group(1))) if match else decode(data)

    async def voices(self) -> list[VoiceInfo]:
        """The account's voices, cached for voices_cache_s."""
        now = time.monotonic()
        if self._voices is not None and now - self._voices[0] < self.config.voices_cache_s:
            return self._voices[1]
        try:
            found = await self.client.voices.get_all()
        except Exception as exc:
            raise self._failure("list voices", exc) from exc
        voices = [
            VoiceInfo(v.voice_id, v.name or v.voice_id, str(v.category or ""))
            for v in found.voices
        ]
        self._voices = (now, voices)
        return voices

    async def clone(self, name: str, filename: str, sample: bytes) -> str:
        """An instant voice clone from one sample; returns the new voice id."""
        try:
            made = await self.client.voices.ivc.create(name=name, files=[(filename, sample)])
        except Exception as exc:
            raise self._failure("clone the voice", exc) from exc
        self._voices = None
        return made.voice_id

    async def delete(self, voice_id: str) -> None:
        """Delete a cloned voice."""
        try:
            await self.client.voices.delete(voice_id)
        except Exception as exc:
            raise self._failure("delete the voice", exc) from exc
        self._voices = None
