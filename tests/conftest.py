"""Shared fixtures: a loopback OpenAI-compatible server, settings on tmp folders, a live core."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# The int8 embedding model is converted once per test run, never into the home folder.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="personabot-test-cache-")

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.collecting import CollectingAdapter
from bot.app import build_core
from bot.config import Settings
from bot.core import Core
from bot.messages import SpaceKind, Who
from tests.support.fake_openai import FakeOpenAI

atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)


def make_settings(data_dir: Path, api_base: str, **overrides: Any) -> Settings:
    """Settings pointing at a tmp data dir and the loopback model server."""
    llm = {
        "model": "openai/test-model",
        "api_base": api_base,
        "retries": 1,
        "backoff_s": 0.01,
        "timeout_s": 2,
        **overrides.pop("llm", {}),
    }
    # Background extraction sends its own model calls; tests that want it turn it on.
    memory = {"extraction": False, **overrides.pop("memory", {})}
    # Offline speech whatever the environment holds; transcription through the loopback server.
    voice = {
        "provider": "offline",
        "stt_model": "openai/whisper-1",
        "stt_api_base": api_base,
        **overrides.pop("voice", {}),
    }
    return Settings.model_validate(
        {"data_dir": str(data_dir), "llm": llm, "memory": memory, "voice": voice, **overrides}
    )


def who(
    user: str,
    space: str = "local",
    kind: SpaceKind = "console",
    *,
    admin: bool = False,
    platform: str = "console",
) -> Who:
    """An identity as an adapter would build it."""
    return Who(platform, user, user.title(), space, kind, admin)


ROOT_ADMIN = {"console": ["root"]}


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, fake_llm: FakeOpenAI) -> Settings:
    """Settings for one test; `indirect` parametrization adds config sections, e.g.
    {"budgets": {"messages_per_minute": 3}}."""
    extra = getattr(request, "param", {})
    return make_settings(tmp_path / "data", fake_llm.base_url, **{"admins": ROOT_ADMIN, **extra})


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    core = build_core(settings)
    await core.start()
    yield core
    await core.close()


@pytest.fixture
def user(core: Core) -> Callable[..., CollectingAdapter]:
    """Make a collecting adapter: user("alice"), user("bob", space="g1", kind="group")."""

    def make(
        name: str, space: str = "local", kind: SpaceKind = "console", **kw: Any
    ) -> CollectingAdapter:
        stream = kw.pop("stream", True)
        return CollectingAdapter(core, who(name, space, kind, **kw), stream=stream)

    return make
