"""Reading the prompts the loopback model received, and settings that make a chat long in a
few messages (shared by the chat and summary tests of every surface)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.config import Settings
from tests.conftest import make_settings
from tests.support.fake_openai import FakeOpenAI


def system(request: dict[str, Any]) -> str:
    """A request's system message."""
    return str(request["messages"][0]["content"])


def history(request: dict[str, Any]) -> list[str]:
    """A request's turns and new message (system messages left out)."""
    return [str(m["content"]) for m in request["messages"] if m["role"] != "system"]


def is_summary(request: dict[str, Any]) -> bool:
    """Is this the chat summariser's call rather than a turn's?"""
    return "running summary" in system(request)


def turn_prompt(fake: FakeOpenAI) -> dict[str, Any]:
    """The last chat turn's request (the summariser's calls left out)."""
    return [r for r in fake.chat_requests if not is_summary(r)][-1]


def small_window(tmp_path: Path, fake: FakeOpenAI, **memory: Any) -> Settings:
    """A window of four turns, summarised every two: a long chat in a few messages."""
    return make_settings(
        tmp_path / "data",
        fake.base_url,
        limits={"recent_turns": 4},
        memory={"summary_every": 2, **memory},
    )
