"""Discord: a burst from many users keeps each user's order, to the model and back."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord.conftest import Harness
from tests.support import discord_gateway as gw
from tests.support.bursts import EACH, USERS, delivered_order, model_order
from tests.support.fake_discord import user as discord_user
from tests.support.fake_openai import FakeOpenAI


async def test_discord_bursts_keep_each_users_order(dc: Harness, fake_llm: FakeOpenAI) -> None:
    fake_llm.server.jitter_s = 0.05
    people = [discord_user(200000000000000000 + i, f"u{i}") for i in range(USERS)]
    for n in range(EACH):
        for i, person in enumerate(people):
            dc.dispatch(
                "MESSAGE_CREATE",
                gw.message_create(person, f"u{i} m{n}", dm_channel=300000000000000000 + i),
            )
    await dc.settle()
    want = {i: list(range(EACH)) for i in range(USERS)}
    assert model_order(fake_llm) == want
    posted: list[tuple[int, str]] = []
    for c in dc.api.calls:
        body: Any = c.content
        if c.method in ("POST", "PATCH") and isinstance(body, str):
            posted.append((0, body))
    assert delivered_order(posted) == want
