"""Turns of one (user, persona) run in order; different users run at the same time."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bot.core import Core
from storage.keys import OwnerKey
from tests.support.fake_openai import FakeOpenAI


async def test_one_users_messages_are_answered_in_order(core: Core, user: Any) -> None:
    alice = user("alice")
    replies = await asyncio.gather(*(alice.say(f"m{i}") for i in range(6)))
    assert [r.text for r in replies] == [f"echo: m{i}" for i in range(6)]
    ctx = await core.context(alice.who)
    persona = await core.personas.active(ctx)
    stored = [t.content for t in await core.turns.recent(OwnerKey(ctx.user_id, persona.id), 50)]
    assert stored == [x for i in range(6) for x in (f"m{i}", f"echo: m{i}")]


async def test_a_slow_user_does_not_hold_up_another(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice, bob = user("alice"), user("bob")
    await alice.say("warm up")  # loads the embedding model, so timing below is the model's
    await bob.say("warm up")
    fake_llm.server.hang_s = 1.0
    fake_llm.fail_next("hang")  # alice's request is the slow one
    done: dict[str, float] = {}

    async def timed(adapter: Any, text: str) -> None:
        await adapter.say(text)
        done[adapter.who.user_ref] = time.monotonic()

    slow = asyncio.create_task(timed(alice, "slow"))
    while len(fake_llm.requests) < 3:  # until alice's request is at the server
        await asyncio.sleep(0.01)
    await timed(bob, "fast")
    await slow
    assert done["bob"] < done["alice"]
    assert alice.replies[-1].text == "echo: slow" and bob.replies[-1].text == "echo: fast"
