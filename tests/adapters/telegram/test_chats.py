"""Several chats and the rolling summary through the real python-telegram-bot Application."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.adapters.telegram.conftest import ALICE, BOB, Harness
from tests.adapters.telegram.test_telegram import bot_msg, buttons, sent, shown
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import message, press
from tests.support.prompts import history, small_window, turn_prompt


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeOpenAI) -> Settings:
    return small_window(tmp_path, fake_llm)


async def _say(tg: Harness, author: dict[str, Any], text: str) -> list[str]:
    calls = await tg.send(message(author, text))
    await tg.core.summaries.wait()
    return shown(calls)


async def test_chats_keep_transcripts_apart_share_memory_and_delete_with_buttons(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    await _say(tg, ALICE, "my cat is called Miso")
    made = await _say(tg, ALICE, "/chat new trip")
    assert any("New chat “trip”" in t for t in made)
    await _say(tg, ALICE, "where should we go in June?")
    prompt = turn_prompt(fake_llm)
    assert not any("Miso" in t for t in history(prompt))
    assert "Miso" in prompt["messages"][0]["content"]  # remembered across chats
    listed = "\n".join(await _say(tg, ALICE, "/chat list"))
    assert "▶ 2. trip — 2 messages" in listed
    await _say(tg, BOB, "bob's own words")
    assert "trip" not in "\n".join(await _say(tg, BOB, "/chat list"))  # chats are per user
    await _say(tg, ALICE, "/chat switch 1")
    await _say(tg, ALICE, "what is my cat called?")
    said = history(turn_prompt(fake_llm))
    assert "my cat is called Miso" in said and "where should we go in June?" not in said

    (question,) = sent(await tg.send(message(ALICE, "/chat delete trip")))
    assert "Delete chat 2, trip, with its 2 messages" in question.text
    yes = next(b["callback_data"] for b in buttons(question) if b["text"] == "Yes")
    assert [c.method for c in await tg.send(press(BOB, yes, bot_msg(question)))] == [
        "answerCallbackQuery"
    ]
    calls = await tg.send(press(ALICE, yes, bot_msg(question)))
    (done,) = [c for c in calls if c.method == "editMessageText"]
    assert done.text.startswith("Deleted chat 2, trip: 2 messages")
    assert "trip" not in "\n".join(await _say(tg, ALICE, "/chat list"))


async def test_the_summary_reaches_the_prompt_once_the_window_is_exceeded(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    await _say(tg, ALICE, "I adopted a greyhound named Pilot")
    for n in range(2, 4):
        await _say(tg, ALICE, f"small talk {n}")
    await _say(tg, ALICE, "what is my dog called?")
    prompt = turn_prompt(fake_llm)
    assert not any("Pilot" in t for t in history(prompt))
    system = prompt["messages"][0]["content"]
    assert "Summary of your conversation with Alice" in system and "Pilot" in system
    summary = "\n".join(await _say(tg, ALICE, "/chat summary"))
    assert "Pilot" in summary
