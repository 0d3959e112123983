"""A core speaking through the ElevenLabs SDK to a loopback server, transcribing via litellm."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.collecting import CollectingAdapter
from bot.app import build_core
from bot.core import Core
from tests.conftest import make_settings, who
from tests.support.fake_elevenlabs import FakeElevenLabs
from tests.support.fake_openai import FakeOpenAI

KEY = "test-eleven-key"


@pytest.fixture
async def eleven() -> AsyncIterator[FakeElevenLabs]:
    server = await FakeElevenLabs().start()
    yield server
    await server.stop()


def voice_settings(tmp: Path, llm: FakeOpenAI, eleven: FakeElevenLabs | None, **voice: Any):
    """Settings with ElevenLabs (or offline when `eleven` is None) and litellm transcription."""
    config: dict[str, Any] = {
        "provider": "elevenlabs" if eleven else "offline",
        "stt_model": "openai/whisper-1",
        "stt_api_base": llm.base_url,
        **voice,
    }
    if eleven is not None:
        config["elevenlabs"] = {"base_url": eleven.base, **voice.get("elevenlabs", {})}
    return make_settings(tmp / "data", llm.base_url, voice=config)


@pytest.fixture
async def vcore(
    tmp_path: Path,
    fake_llm: FakeOpenAI,
    eleven: FakeElevenLabs,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Core]:
    """A core whose voice provider is ElevenLabs on loopback."""
    monkeypatch.setenv("ELEVENLABS_API_KEY", KEY)
    core = build_core(voice_settings(tmp_path, fake_llm, eleven))
    await core.start()
    yield core
    await core.close()


@pytest.fixture
def speaker(vcore: Core) -> Callable[..., CollectingAdapter]:
    """user("alice") on the voice core."""

    def make(name: str, **kw: Any) -> CollectingAdapter:
        return CollectingAdapter(vcore, who(name, **kw), stream=False)

    return make
