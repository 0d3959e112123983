"""The offline engine really speaks: eSpeak NG → OGG/Opus, with no key and no network."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import av
import numpy as np

from bot.config import VoiceConfig
from bot.messages import Attachment
from bot.voice.audio import Pcm, decode, join, ogg_opus, seconds
from bot.voice.offline import EspeakProvider
from bot.voice.providers import make_provider, provider_name
from bot.voice.service import VoiceService
from bot.voice.sniff import is_audio, sniff

TWO_HUNDRED = (
    "Good evening! The stars are bright tonight, and the moon is almost full. "
    "If you look east you will see Jupiter rising. Shall I tell you the story of "
    "how it got its name, or would you rather hear about Saturn?"
)[:200]


async def test_offline_speech_is_an_ogg_opus_voice_note(tmp_path: Path) -> None:
    config = VoiceConfig(provider="offline")
    service = VoiceService(make_provider(config, {}), config, tmp_path / "cache")
    spoken = await service.speak(TWO_HUNDRED, "")
    assert spoken.characters == len(TWO_HUNDRED) == 200
    audio = spoken.audio.data
    assert audio[:4] == b"OggS" and sniff(audio) == "ogg"
    with av.open(io.BytesIO(audio)) as container:
        stream = container.streams.audio[0]
        assert container.format.name == "ogg"
        assert stream.codec_context.name == "opus"
        assert stream.codec_context.sample_rate == 48000
        assert stream.codec_context.channels == 1
    duration = seconds(audio)
    assert 8 < duration < 25  # 200 characters at 165 words a minute: ~12 s
    pcm = decode(audio)
    assert np.abs(pcm.samples).mean() > 100  # speech, not silence


async def test_offline_voices_and_a_foreign_voice_id_fall_back(tmp_path: Path) -> None:
    provider = EspeakProvider(VoiceConfig().offline)
    ids = {v.id for v in await provider.voices()}
    assert {"en-us", "en", "fr", "de"} <= ids
    french = await provider.speak("Bonjour tout le monde.", "fr")
    cloned = await provider.speak("Hello there.", "cloned-voice-id-from-elevenlabs")
    assert french.seconds > 0.5 and cloned.seconds > 0.5


async def test_every_offered_offline_voice_speaks() -> None:
    """Listing a voice is a promise: each one must say something, not just be listed."""
    provider = EspeakProvider(VoiceConfig().offline)
    offered = await provider.voices()
    assert len(offered) >= 10
    for voice in offered:
        pcm = await provider.speak("Hello, this is my voice.", voice.id)
        assert pcm.seconds > 0.5, voice.id
    # Ids offered by earlier versions keep working for personas that chose them.
    assert (await provider.speak("Hello.", "en-gb")).seconds > 0.3


def test_auto_means_elevenlabs_only_with_a_key() -> None:
    config = VoiceConfig()
    assert provider_name(config, {}) == "offline"
    assert provider_name(config, {"ELEVENLABS_API_KEY": "k"}) == "elevenlabs"
    assert provider_name(VoiceConfig(provider="none"), {"ELEVENLABS_API_KEY": "k"}) == "none"
    assert make_provider(VoiceConfig(provider="none"), {}) is None


def _wav(rate: int, count: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((np.arange(count, dtype=np.int16) % 200).tobytes())
    return buffer.getvalue()


def test_formats_are_recognised_by_their_bytes_not_their_names() -> None:
    assert sniff(_wav(16000, 10)) == "wav"
    assert sniff(b"OggS\x00\x02" + b"\x00" * 20) == "ogg"
    assert sniff(b"fLaC\x00\x00\x00\x22" + b"\x00" * 8) == "flac"
    assert sniff(b"ID3\x04\x00" + b"\x00" * 11) == "mp3"
    assert sniff(b"\xff\xfb\x90\x00" + b"\x00" * 12) == "mp3"
    assert sniff(b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 4) == "m4a"
    assert sniff(b"<html>not audio</html>") is None
    assert is_audio(Attachment("x.bin", "application/octet-stream", _wav(8000, 4)))
    assert not is_audio(Attachment("song.mp3", "", b"plain text pretending"))


def test_decoding_joining_and_encoding_keep_the_duration() -> None:
    pcm = decode(_wav(16000, 16000))
    assert pcm.rate == 16000 and len(pcm.samples) == 16000
    other = Pcm(np.zeros(24000, dtype=np.int16), 24000)  # 1 s at another rate
    joined = join([pcm, other], pause_s=0.5)
    assert joined.rate == 16000 and abs(joined.seconds - 2.5) < 0.01
    assert abs(seconds(ogg_opus(joined)) - 2.5) < 0.05
