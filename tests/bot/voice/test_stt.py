"""Voice messages in: transcribed through litellm, then an ordinary turn."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from adapters.collecting import CollectingAdapter
from bot.app import build_core
from bot.messages import Attachment, Incoming
from tests.bot.voice.conftest import voice_settings
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI

VOICE_NOTE = Attachment("voice.ogg", "audio/ogg", b"OggS\x00\x02" + b"\x01" * 400)


async def test_a_voice_message_becomes_a_turn(
    speaker: Callable[..., CollectingAdapter], fake_llm: FakeOpenAI
) -> None:
    alice = speaker("alice")
    fake_llm.server.transcript = "remind me to buy tea"
    reply = await alice.core.chat(Incoming(alice.who, "", (VOICE_NOTE,)))
    assert reply.text == "echo: remind me to buy tea"
    (upload,) = fake_llm.server.uploads
    assert upload["content_type"].startswith("multipart/form-data")
    assert b"whisper-1" in upload["body"] and b"OggS" in upload["body"]
    history = await alice.say("/memory search tea")
    assert "remind me to buy tea" in history.text  # stored as the user's words


async def test_without_a_speech_to_text_model_the_answer_is_clear(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    core = build_core(voice_settings(tmp_path, fake_llm, None, stt_model=""))
    await core.start()
    try:
        alice = who("alice")
        reply = await core.handle_text(alice, "", attachments=(VOICE_NOTE,))
        assert reply.error
        assert reply.text == (
            "I can't listen to voice messages here yet (no voice.stt_model configured)"
        )
        assert fake_llm.chat_requests == []  # nothing went to the model
    finally:
        await core.close()


async def test_silence_and_failures_get_a_clear_answer(
    speaker: Callable[..., CollectingAdapter], fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    alice = speaker("alice")
    fake_llm.server.transcript = ""
    silent = await alice.core.handle_text(alice.who, "", attachments=(VOICE_NOTE,))
    assert silent.error and "couldn't make out any words" in silent.text
    core = build_core(
        voice_settings(tmp_path / "b", fake_llm, None, stt_api_base="http://127.0.0.1:9/v1")
    )
    await core.start()
    try:
        down = await core.handle_text(who("bob"), "", attachments=(VOICE_NOTE,))
        assert down.error
        assert down.text == "I couldn't transcribe that voice message; please try again or type it"
    finally:
        await core.close()
