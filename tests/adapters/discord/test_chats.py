"""Several chats and the rolling summary through the real discord.py client and its tree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.adapters.discord.conftest import ALICE, BOB, Harness
from tests.adapters.discord.test_slash import EPHEMERAL, MENTION, _callback_call, callback
from tests.support import discord_gateway as gw
from tests.support.fake_discord import BOT_USER
from tests.support.fake_openai import FakeOpenAI
from tests.support.prompts import history, small_window, turn_prompt


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeOpenAI) -> Settings:
    return small_window(tmp_path, fake_llm)


async def _say(dc: Harness, author: dict[str, Any], text: str) -> None:
    await dc.message(author, f"{MENTION} {text}", mentions=(BOT_USER,))
    await dc.core.summaries.wait()


async def _slash(dc: Harness, author: dict[str, Any], *path: str, **options: Any) -> str:
    body = callback(await dc.slash(author, ("chat", *path), **options))
    return str(body["data"]["content"])


async def test_chats_keep_transcripts_apart_share_memory_and_delete_with_buttons(
    dc: Harness, fake_llm: FakeOpenAI
) -> None:
    await _say(dc, ALICE, "my cat is called Miso")
    assert "New chat “trip”" in await _slash(dc, ALICE, "new", title="trip")
    await _say(dc, ALICE, "where should we go in June?")
    prompt = turn_prompt(fake_llm)
    assert not any("Miso" in t for t in history(prompt))
    assert "Miso" in prompt["messages"][0]["content"]  # remembered across chats
    listed = callback(await dc.slash(ALICE, ("chat", "list")))
    assert listed["data"]["flags"] & EPHEMERAL
    assert "▶ 2. trip — 2 messages" in listed["data"]["content"]
    assert "Now in chat 1" in await _slash(dc, ALICE, "switch", chat="1")
    await _say(dc, ALICE, "what is my cat called?")
    said = history(turn_prompt(fake_llm))
    assert "my cat is called Miso" in said and "where should we go in June?" not in said

    call = _callback_call(await dc.slash(ALICE, ("chat", "delete"), chat="trip"))
    asked = call.body
    assert "Delete chat 2, trip, with its messages (2 said here)" in asked["data"]["content"]
    yes = next(b for b in asked["data"]["components"][0]["components"] if b["label"] == "Yes")
    shown = gw.bot_message(asked["data"]["content"])
    shown["components"] = asked["data"]["components"]
    shown["id"] = call.response["interaction"]["response_message_id"]
    press = {"custom_id": yes["custom_id"], "component_type": 2}
    refused = callback(await dc.interact(BOB, 3, press, message=shown))
    assert refused["data"]["content"] == "Only the person who asked can answer this."
    done = callback(await dc.interact(ALICE, 3, press, message=shown))
    assert done["data"]["content"].startswith("Deleted chat 2, trip: 2 messages")
    assert "trip" not in await _slash(dc, ALICE, "list")


async def test_the_summary_reaches_the_prompt_once_the_window_is_exceeded(
    dc: Harness, fake_llm: FakeOpenAI
) -> None:
    await _say(dc, ALICE, "I adopted a greyhound named Pilot")
    for n in range(2, 4):
        await _say(dc, ALICE, f"small talk {n}")
    await _say(dc, ALICE, "what is my dog called?")
    prompt = turn_prompt(fake_llm)
    assert not any("Pilot" in t for t in history(prompt))
    system = prompt["messages"][0]["content"]
    assert "Summary of your conversation with" in system and "Pilot" in system
    assert "Pilot" in await _slash(dc, ALICE, "summary")
