"""Spoken replies through the ElevenLabs SDK (loopback): request shape, voices, clones, errors."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import av
import pytest

from adapters.collecting import CollectingAdapter
from bot.app import build_core
from bot.messages import Attachment
from bot.voice.elevenlabs import DEFAULT_VOICE
from tests.bot.voice.conftest import KEY, voice_settings
from tests.support.fake_elevenlabs import FakeElevenLabs
from tests.support.fake_openai import FakeOpenAI

Speaker = Callable[..., CollectingAdapter]


def _wav(seconds: float = 1.0) -> bytes:
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(b"\x00\x01" * int(16000 * seconds))
    return buffer.getvalue()


async def _upload(user: CollectingAdapter, data: bytes, name: str = "me.wav", extra: str = ""):
    sample = Attachment(name, "audio/wav", data)
    reply = await user.core.handle_text(user.who, f"/voice upload{extra}", attachments=(sample,))
    user.replies.append(reply)
    return reply


async def test_a_spoken_reply_is_an_ogg_voice_note(
    speaker: Speaker, eleven: FakeElevenLabs
) -> None:
    alice = speaker("alice")
    assert (await alice.say("/voice on")).text == "Replies here will be spoken too."
    reply = await alice.say("tell me a story")
    assert reply.text == "echo: tell me a story"
    (audio,) = reply.attachments
    assert audio.content_type == "audio/ogg" and audio.data.startswith(b"OggS")
    with av.open(io.BytesIO(audio.data)) as container:
        assert container.streams.audio[0].codec_context.name == "opus"
    (tts,) = eleven.of("POST", "/v1/text-to-speech/")
    assert tts.path == f"/v1/text-to-speech/{DEFAULT_VOICE}"
    assert tts.query["output_format"] == "pcm_24000"
    assert tts.json["text"] == "echo: tell me a story"
    assert tts.json["model_id"] == "eleven_multilingual_v2"
    assert tts.headers["xi-api-key"] == KEY
    usage = (await alice.say("/usage")).text
    assert "21 characters spoken" in usage


async def test_voice_priority_clone_then_chosen_then_default(
    speaker: Speaker, eleven: FakeElevenLabs
) -> None:
    alice = speaker("alice")
    await alice.say('/persona create luna prompt="You are Luna."')
    await alice.say("/voice on")
    await alice.say("one")
    assert (await alice.say("/voice set pNInz6obpgDQGcFmaJgB")).text.startswith("Luna now speaks")
    await alice.say("two")
    assert "cloned from your sample" in (await _upload(alice, _wav())).text
    await alice.say("three")
    voices = [s.path.rsplit("/", 1)[1] for s in eleven.of("POST", "/v1/text-to-speech/")]
    assert voices == [DEFAULT_VOICE, "pNInz6obpgDQGcFmaJgB", "cloned-1"]
    (clone,) = eleven.of("POST", "/v1/voices/add")
    assert clone.form["name"] == "personabot-luna"
    assert clone.files == [("sample.wav", len(_wav()))]


async def test_deleting_the_persona_deletes_its_clone(
    speaker: Speaker, eleven: FakeElevenLabs
) -> None:
    alice = speaker("alice")
    await alice.say('/persona create luna prompt="You are Luna."')
    await _upload(alice, _wav())
    await alice.say("/persona delete luna")
    await alice.answer(True)
    assert [s.path for s in eleven.of("DELETE", "/v1/voices/")] == ["/v1/voices/cloned-1"]
    assert all(v["voice_id"] != "cloned-1" for v in eleven.voices)


async def test_uploads_are_checked_before_anything_is_sent(
    speaker: Speaker, eleven: FakeElevenLabs, tmp_path: Path
) -> None:
    alice, bob = speaker("alice"), speaker("bob")
    refused = await _upload(alice, _wav())  # the active persona is a preset
    assert refused.error and "only for a persona you own" in refused.text
    await alice.say('/persona create luna prompt="You are Luna." public=yes')
    fake = await _upload(alice, b"this is not audio at all", name="song.mp3")
    assert fake.error and "'song.mp3' is not an audio file" in fake.text
    big = await _upload(alice, b"RIFF" + b"\x00" * (11 * 1024 * 1024), name="big.wav")
    assert big.error and "too big: 11.0 MB (limit 10 MB)" in big.text
    await bob.say("/persona switch luna")
    stolen = await _upload(bob, _wav())
    assert stolen.error and "only for a persona you own, not 'luna'" in stolen.text
    nothing = await alice.say("/voice upload")
    assert nothing.error and "attach an audio sample" in nothing.text
    assert eleven.of("POST", "/v1/voices/add") == []


async def test_the_voice_list_is_cached(speaker: Speaker, eleven: FakeElevenLabs) -> None:
    alice = speaker("alice")
    first = (await alice.say("/voice list")).text
    second = (await alice.say("/voice list")).text
    assert first == second and "* 21m00Tcm4TlvDq8ikWAM — Rachel" in first
    assert len(eleven.of("GET", "/v1/voices")) == 1
    preset = await alice.say("/voice set pNInz6obpgDQGcFmaJgB")
    assert preset.error and "only bot admins" in preset.text  # the active one is a preset
    await alice.say('/persona create luna prompt="You are Luna."')
    refused = await alice.say("/voice set nobody-voice")
    assert refused.error and "no voice 'nobody-voice'" in refused.text
    assert len(eleven.of("GET", "/v1/voices")) == 1


async def test_a_provider_failure_still_delivers_the_text(
    speaker: Speaker, eleven: FakeElevenLabs, caplog: pytest.LogCaptureFixture
) -> None:
    alice = speaker("alice")
    await alice.say("/voice on")
    eleven.fail.append(500)
    with caplog.at_level(logging.WARNING):
        reply = await alice.say("are you there?")
    assert reply.text == (
        "echo: are you there?\n\n(no voice this time: ElevenLabs could not speak (HTTP 500))"
    )
    assert not reply.error and reply.attachments == ()
    assert KEY not in caplog.text and KEY not in reply.text
    assert (await alice.say("again")).attachments  # the next one speaks


async def test_long_replies_are_spoken_in_chunks_and_cached(
    tmp_path: Path,
    fake_llm: FakeOpenAI,
    eleven: FakeElevenLabs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ELEVENLABS_API_KEY", KEY)
    settings = voice_settings(tmp_path, fake_llm, eleven, elevenlabs={"max_chars": 100})
    core = build_core(settings)
    await core.start()
    try:
        alice = CollectingAdapter(core, core_who("alice"), stream=False)
        await alice.say("/voice on")
        story = "The fox ran far. " * 20  # ~340 characters
        first = await alice.say(story)
        texts = [s.json["text"] for s in eleven.of("POST", "/v1/text-to-speech/")]
        assert len(texts) >= 4 and all(len(t) <= 100 for t in texts)
        assert " ".join(texts) == " ".join(first.text.split())
        calls = len(texts)
        assert core.voice is not None
        again = await core.voice.speak(first.text, DEFAULT_VOICE)  # same voice, same words
        assert again.characters == 0 and again.audio.data == first.attachments[0].data
        assert len(eleven.of("POST", "/v1/text-to-speech/")) == calls
        assert list((settings.data_dir / "voice-cache").glob("*.ogg"))
    finally:
        await core.close()


def core_who(name: str):
    from tests.conftest import who

    return who(name)
