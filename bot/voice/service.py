"""The voice service: which voice speaks, spoken replies (chunked, cached), clones, STT."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from bot.config import VoiceConfig
from bot.errors import BadInput
from bot.messages import Attachment
from bot.split import split_text
from bot.voice.providers import SpeechFailed, SpeechProvider, VoiceInfo
from bot.voice.sniff import sniff
from personas.model import Persona

log = logging.getLogger(__name__)

SAMPLE_FORMATS = ("mp3", "wav", "ogg", "m4a", "flac")


@dataclass(frozen=True)
class Spoken:
    """A spoken reply: an OGG/Opus voice note, and the characters the provider billed."""

    audio: Attachment
    characters: int


class VoiceService:
    """Speech for replies and voice clones through one provider; transcription via litellm."""

    def __init__(
        self, provider: SpeechProvider | None, config: VoiceConfig, cache_dir: Path
    ) -> None:
        self.provider = provider
        self.config = config
        self.cache_dir = cache_dir

    @property
    def name(self) -> str:
        """The provider's name, or "none"."""
        return self.provider.name if self.provider is not None else "none"

    def voice_for(self, persona: Persona) -> str:
        """Its cloned voice, else its chosen voice, else the configured, else the provider's."""
        fallback = self.provider.default_voice if self.provider is not None else ""
        return persona.custom_voice_id or persona.voice or self.config.default_voice or fallback

    def _script(self, text: str) -> str:
        """What gets spoken: at most max_chars, ending on a sentence."""
        text = " ".join(text.split())
        if len(text) <= self.config.max_chars:
            return text
        if self.config.max_chars < 16:
            return text[: self.config.max_chars]
        return split_text(text, self.config.max_chars)[0]

    def _cached(self, key: str) -> Path:
        return self.cache_dir / f"{key}.ogg"

    def _trim_cache(self) -> None:
        cap = self.config.cache_mb * 1024 * 1024
        files = sorted(self.cache_dir.glob("*.ogg"), key=lambda p: p.stat().st_mtime)
        total = sum(p.stat().st_size for p in files)
        for path in files:
            if total <= cap:
                break
            total -= path.stat().st_size
            path.unlink(missing_ok=True)

    async def speak(self, text: str, voice: str) -> Spoken:
        """Speak `text` (cut to max_chars) in `voice`; raises SpeechFailed."""
        if self.provider is None:
            raise SpeechFailed("spoken replies are off (voice.provider: none)")
        script = self._script(text)
        if not script:
            raise SpeechFailed("nothing to say")
        path = self._cached(self._key(script, voice))
        if self.config.cache_mb > 0 and path.exists():
            os.utime(path)
            return Spoken(Attachment("reply.ogg", "audio/ogg", path.read_bytes()), 0)
        from bot.voice.audio import join, ogg_opus  # PyAV loads on the first spoken reply

        parts = [await self.provider.speak(piece, voice) for piece in self._pieces(script)]
        audio = await asyncio.to_thread(ogg_opus, join(parts))
        if self.config.cache_mb > 0:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            path.write_bytes(audio)
            await asyncio.to_thread(self._trim_cache)
        return Spoken(Attachment("reply.ogg", "audio/ogg", audio), len(script))

    def _key(self, script: str, voice: str) -> str:
        assert self.provider is not None
        text = f"{self.name}|{self.provider.model}|{voice}|{script}"
        return hashlib.sha256(text.encode()).hexdigest()

    def cached_audio(self, text: str, voice: str) -> bytes | None:
        """The kept audio of `text` spoken in `voice`, if the cache still holds it."""
        script = self._script(text)
        if self.provider is None or not script:
            return None
        path = self._cached(self._key(script, voice))
        return path.read_bytes() if path.exists() else None

    def clear_cache(self) -> int:
        """Delete every kept spoken reply (an erasure: the cache can't tell whose they are)."""
        files = list(self.cache_dir.glob("*.ogg")) if self.cache_dir.exists() else []
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)

    def _pieces(self, script: str) -> list[str]:
        assert self.provider is not None
        return split_text(script, self.provider.max_chars)

    async def voices(self) -> list[VoiceInfo]:
        """Voices of the provider."""
        if self.provider is None:
            return []
        return await self.provider.voices()

    def check_sample(self, sample: Attachment) -> str:
        """The sample's format, judged by its bytes; BadInput for a wrong kind or size."""
        limit = self.config.upload_mb * 1024 * 1024
        if len(sample.data) > limit:
            size = len(sample.data) / 1024 / 1024
            raise BadInput(
                f"the sample is too big: {size:.1f} MB (limit {self.config.upload_mb:g} MB)"
            )
        kind = sniff(sample.data)
        if kind not in SAMPLE_FORMATS:
            raise BadInput(
                f"'{sample.filename}' is not an audio file I can clone from "
                f"(send {', '.join(SAMPLE_FORMATS)})"
            )
        return kind

    async def clone(self, persona: Persona, sample: Attachment) -> str:
        """A cloned voice for `persona` from a checked sample; returns its id."""
        if self.provider is None or not self.provider.can_clone:
            raise BadInput("voice cloning needs ElevenLabs: set ELEVENLABS_API_KEY")
        kind = self.check_sample(sample)
        name = f"personabot-{persona.name}"
        return await self.provider.clone(name, f"sample.{kind}", sample.data)

    async def forget_clone(self, voice_id: str) -> None:
        """Delete a cloned voice at the provider (logged, never raised: cleanup only)."""
        if self.provider is None or not voice_id:
            return
        try:
            await self.provider.delete(voice_id)
        except SpeechFailed as exc:
            log.warning("could not delete cloned voice: %s", exc)

    async def transcribe(self, audio: Attachment) -> str:
        """Text of a voice message, through litellm's transcription API."""
        if not self.config.stt_model:
            raise BadInput(
                "I can't listen to voice messages here yet (no voice.stt_model configured)"
            )
        from bot.llm import endpoint, litellm_module

        litellm = await asyncio.to_thread(litellm_module)
        kind = sniff(audio.data) or "ogg"
        try:
            result = await litellm.atranscription(
                model=self.config.stt_model,
                file=(f"voice.{kind}", audio.data),
                **endpoint(self.config.stt_model, self.config.stt_api_base),
            )
        except Exception as exc:
            log.warning("transcription failed: %s", type(exc).__name__)
            raise BadInput(
                "I couldn't transcribe that voice message; please try again or type it"
            ) from exc
        return str(getattr(result, "text", "") or "").strip()
