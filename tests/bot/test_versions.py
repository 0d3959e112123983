"""Regenerate and swipe: every version kept, the one shown is the one the history uses, every
generation counted, only the last reply, only its own user."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.core import Core
from storage.models import UsageLog
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI


async def test_regen_and_swipe_choose_what_the_history_carries(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    fake_llm.server.numbered = True
    alice = user("alice")
    first = await alice.say("tell me a joke")
    assert first.text == "echo 1: tell me a joke" and first.versions is not None
    assert (first.versions.shown, first.versions.total) == (1, 1)
    again = await alice.say("/regen")
    assert again.text == "echo 2: tell me a joke" and again.versions is not None
    assert (again.versions.shown, again.versions.total) == (2, 2)
    assert again.versions.reply_id == first.versions.reply_id
    # The regeneration saw the same conversation the first answer did.
    assert fake_llm.chat_requests[-1]["messages"] == fake_llm.chat_requests[-2]["messages"]
    back = await alice.say("/swipe 1")
    assert back.text == "echo 1: tell me a joke" and back.versions is not None
    assert back.versions.shown == 1
    await alice.say("and another")
    history = [m["content"] for m in fake_llm.chat_requests[-1]["messages"][1:]]
    assert "echo 1: tell me a joke" in history and "echo 2: tell me a joke" not in history
    async with core.db.sessions() as s:
        generations = await s.scalar(select(func.count()).select_from(UsageLog))
    assert generations == 3  # two versions of the first reply, one of the second


async def test_swipe_bounds_and_only_the_last_reply(core: Core, user: Any) -> None:
    alice = user("alice")
    nothing = await alice.say("/regen")
    assert nothing.error and "no reply" in nothing.text
    first = await alice.say("hello")
    assert first.versions is not None
    beyond = await alice.say("/swipe")
    assert beyond.error and "no version 2 (/regen makes another)" in beyond.text
    await alice.say("/regen")
    assert (await alice.say("/swipe")).error  # 2 of 2: nothing after it
    await alice.say("a new message")
    old = await core.regenerate(who("alice"), first.versions.reply_id)
    assert old.error and "only the latest reply" in old.text
    someone_else = await core.regenerate(who("bob"), first.versions.reply_id)
    assert someone_else.error
    assert (await core.swipe(who("bob"), first.versions.reply_id, 1)).error


async def test_continue_extends_the_last_reply_in_place(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    first = await alice.say("tell me about tides")
    longer = await alice.say("/continue")
    assert (
        not longer.error
        and longer.text.startswith(first.text)
        and len(longer.text) > len(first.text)
    )
    asked = fake_llm.chat_requests[-1]["messages"]
    assert asked[-2] == {"role": "assistant", "content": first.text}
    assert asked[-1]["role"] == "system" and "Continue your last reply" in asked[-1]["content"]
    assert longer.versions is not None and longer.versions.reply_id == first.versions.reply_id
    await alice.say("thanks")
    history = [m["content"] for m in fake_llm.chat_requests[-1]["messages"]]
    assert longer.text in history  # the conversation carries the extended reply
    async with core.db.sessions() as s:
        generations = await s.scalar(select(func.count()).select_from(UsageLog))
    assert generations == 3
    nothing = await user("bob").say("/continue")
    assert nothing.error and "no reply" in nothing.text
