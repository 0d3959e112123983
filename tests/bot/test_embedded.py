"""The bundled offline model really answers through litellm's custom-provider path."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from bot.app import build_core
from bot.config import Settings
from bot.embedded import EmbeddedLLM, model_file
from tests.conftest import who


def test_the_weights_ship_in_an_installed_package() -> None:
    path = model_file("smollm2-135m")
    assert path is not None and path.stat().st_size > 50_000_000
    assert model_file("no-such-model") is None


async def test_embedded_model_chats_offline_streamed_and_not(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "data_dir": str(tmp_path),
            "llm": {
                "model": "embedded/smollm2-135m",
                "embedded_max_tokens": 24,
                "temperature": 0.0,
                "api_base": "http://127.0.0.1:9/v1",
            },  # ignored for embedded models
        }
    )
    core = build_core(settings)
    await core.start()
    try:
        chunks: list[str] = []

        async def sink(text: str) -> None:
            chunks.append(text)

        reply = await core.handle_text(who("ann"), "Say hello to me.", sink)
        assert not reply.error, reply.text
        assert reply.text.strip() and "".join(chunks).strip() == reply.text
        assert len(chunks) > 1  # really streamed, token by token
        usage = await core.usage.by_persona((await core.context(who("ann"))).user_id)
        assert usage[0].completion_tokens > 0 and usage[0].prompt_tokens > 10
    finally:
        await core.close()

    core = build_core(
        settings.model_copy(update={"llm": settings.llm.model_copy(update={"stream": False})})
    )
    await core.start()
    try:
        reply = await core.handle_text(who("ann"), "And once more?")
        assert not reply.error and reply.text.strip()
    finally:
        await core.close()


class _Endless(EmbeddedLLM):
    """The bundled model told to ignore its end-of-text token: a reply as long as allowed."""

    def _request(self, model: str, messages: list[Any], params: dict[str, Any]) -> dict[str, Any]:
        return {**super()._request(model, messages, params), "ignore_eos": True}


async def test_a_reply_nobody_reads_any_more_stops_its_generation_thread() -> None:
    """Stopped, timed out or cancelled: the generation thread ends at its next token and frees
    the model (left alone, these 3,000 tokens hold it for about a minute on 2 cores)."""
    llm = _Endless(context=4096, threads=2)
    stream = llm.astreaming(
        model="smollm2-135m",
        messages=[{"role": "user", "content": "Tell me a story."}],
        optional_params={"max_tokens": 3000},
    )
    got = 0
    async for _ in stream:
        got += 1
        if got == 5:
            break
    await stream.aclose()  # what a stop or a timeout does to the stream
    freed = await asyncio.to_thread(llm._run_lock.acquire, True, 10)
    assert freed, "the generation went on after its reader left"
    llm._run_lock.release()


async def test_the_embedded_model_has_its_own_short_reply_limit(tmp_path: Path) -> None:
    """llm.embedded_max_tokens, not llm.max_tokens, bounds an embedded reply."""
    settings = Settings.model_validate(
        {
            "data_dir": str(tmp_path),
            "llm": {"max_tokens": 300, "embedded_max_tokens": 8, "stream": False},
        }
    )
    assert settings.llm.model.startswith("embedded/")
    assert Settings.model_validate({"data_dir": str(tmp_path)}).llm.embedded_max_tokens == 120
    core = build_core(settings)
    await core.start()
    try:
        reply = await core.handle_text(who("ann"), "Tell me a long story about a dragon.")
        assert not reply.error, reply.text
        usage = await core.usage.by_persona((await core.context(who("ann"))).user_id)
        assert 0 < usage[0].completion_tokens <= 8
    finally:
        await core.close()
