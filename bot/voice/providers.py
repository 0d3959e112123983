"""Text-to-speech providers, chosen by config string (elevenlabs | offline | none)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.config import VoiceConfig
from personas.errors import BotError

if TYPE_CHECKING:
    from bot.voice.audio import Pcm

ELEVENLABS_KEY = "ELEVENLABS_API_KEY"


@dataclass(frozen=True)
class VoiceInfo:
    """A voice a persona can use."""

    id: str
    name: str
    description: str = ""


class SpeechFailed(BotError):
    """The provider could not speak; the text reply still goes out."""


class SpeechProvider(Protocol):
    """What the voice service needs from a TTS engine."""

    name: str
    model: str  # what makes the same text sound different, part of the cache key
    max_chars: int  # longest text per request
    can_clone: bool
    default_voice: str

    async def speak(self, text: str, voice: str) -> Pcm:
        """Speech for `text` in `voice` (empty: the provider's default)."""
        ...

    async def voices(self) -> list[VoiceInfo]:
        """Voices to choose from."""
        ...

    async def clone(self, name: str, filename: str, sample: bytes) -> str:
        """Create a voice from a sample; returns its id."""
        ...

    async def delete(self, voice_id: str) -> None:
        """Delete a cloned voice."""
        ...


def provider_name(config: VoiceConfig, environ: Mapping[str, str] | None = None) -> str:
    """Which provider `auto` means here: elevenlabs with a key, else offline."""
    env = os.environ if environ is None else environ
    if config.provider != "auto":
        return config.provider
    return "elevenlabs" if env.get(ELEVENLABS_KEY) else "offline"


def make_provider(
    config: VoiceConfig, environ: Mapping[str, str] | None = None
) -> SpeechProvider | None:
    """The configured provider (None for `none`); the key comes from the environment only."""
    env = os.environ if environ is None else environ
    name = provider_name(config, env)
    if name == "none":
        return None
    if name == "elevenlabs":
        from bot.voice.elevenlabs import ElevenLabsProvider

        return ElevenLabsProvider(config.elevenlabs, env.get(ELEVENLABS_KEY, ""))
    from bot.voice.offline import EspeakProvider

    return EspeakProvider(config.offline)
