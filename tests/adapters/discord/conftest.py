"""A DiscordAdapter logged in to the loopback Discord API, with helpers to feed it events."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import discord
import pytest

from adapters.discord import DiscordAdapter
from bot.core import Core
from tests.support import discord_gateway as gw
from tests.support.fake_discord import FakeDiscord, user

ALICE = user(100000000000000001, "alice")
BOB = user(100000000000000002, "bob")
_DISCORD_TASKS = (
    "discord.py:",
    "CommandTree",
    "discord-ui-view-dispatch",
    "discord-ui-modal",
    "discord-ui-dynamic-item",
)


@dataclass
class Harness:
    """Feeds gateway events to the real client and waits until it has handled them."""

    adapter: DiscordAdapter
    api: FakeDiscord

    @property
    def core(self) -> Core:
        return self.adapter.core

    def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """What discord.py's websocket does with a DISPATCH frame."""
        self.adapter.client._connection.parsers[event](data)

    async def settle(self) -> None:
        """Wait for every event handler the dispatch started (and what they started)."""
        for _ in range(100):
            await asyncio.sleep(0)
            pending = [
                t
                for t in asyncio.all_tasks()
                if t.get_name().startswith(_DISCORD_TASKS) and not t.done()
            ]
            if not pending:
                return
            await asyncio.wait(pending, timeout=15)
        raise AssertionError("discord handlers never settled")

    async def message(self, author: dict[str, Any], content: str, **kw: Any) -> int:
        """Post a message; returns how many API calls the bot made in answer."""
        before = len(self.api.calls)
        self.dispatch("MESSAGE_CREATE", gw.message_create(author, content, **kw))
        await self.settle()
        return len(self.api.calls) - before

    async def interact(self, author: dict[str, Any], kind: int, data: dict[str, Any], **kw: Any):
        """An interaction; returns the callback calls it produced."""
        before = len(self.api.calls)
        payload = gw.interaction(author, kind, data, **kw)
        self.dispatch("INTERACTION_CREATE", payload)
        await self.settle()
        return self.api.calls[before:]

    async def slash(self, author: dict[str, Any], path: tuple[str, ...], **options: Any):
        """Run `/path option:value …`; returns the calls it produced."""
        kw = {k: options.pop(k) for k in ("admin", "dm", "channel", "roles") if k in options}
        return await self.interact(author, 2, gw.command_data(path, options), **kw)


@pytest.fixture
async def discord_api(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    api = await FakeDiscord().start()
    # discord.py builds every REST URL from this base; loopback instead of discord.com.
    monkeypatch.setattr(discord.http.Route, "BASE", api.base)
    yield api
    await api.stop()


@pytest.fixture
async def dc(core: Core, discord_api: FakeDiscord) -> AsyncIterator[Harness]:
    """The adapter, logged in, in the test server."""
    adapter = DiscordAdapter(core, "fake-token")
    core.outbox.register(adapter)  # as the composition root does
    await adapter.login()
    harness = Harness(adapter, discord_api)
    harness.dispatch("GUILD_CREATE", gw.guild_create())
    await harness.settle()
    yield harness
    await adapter.client.close()
