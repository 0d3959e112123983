"""The real python-telegram-bot Application, polling a loopback Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from adapters.telegram import TelegramAdapter
from bot.core import Core
from tests.support.fake_telegram import TOKEN, Call, FakeBotAPI, user

ALICE = user(111, "Alice")
BOB = user(222, "Bob")
GROUP = -1001234


@dataclass
class Harness:
    """Sends updates through getUpdates and waits until the bot has handled them."""

    adapter: TelegramAdapter
    api: FakeBotAPI

    @property
    def core(self) -> Core:
        return self.adapter.core

    async def settle(self) -> None:
        """Wait for the handlers the fetched updates started."""
        name = f"Application:{self.adapter.app.bot.id}:process_concurrent_update"
        for _ in range(200):
            await asyncio.sleep(0.01)
            busy = [t for t in asyncio.all_tasks() if t.get_name() == name and not t.done()]
            if busy:
                await asyncio.wait(busy, timeout=20)
            elif self.adapter.app.update_queue.empty():
                return
        raise AssertionError("updates never settled")

    async def send(self, update: dict[str, Any]) -> list[Call]:
        """Deliver one update; returns the calls the bot made while handling it."""
        before = len(self.api.calls)
        update_id = self.api.push(update)
        await self.api.fetched(update_id)
        await self.settle()
        return [c for c in self.api.calls[before:] if c.method != "getUpdates"]


@pytest.fixture
async def tg(core: Core) -> AsyncIterator[Harness]:
    """The adapter, started (command menu published, polling)."""
    api = await FakeBotAPI().start()
    config = core.settings.adapters.telegram.model_copy(
        update={
            "base_url": f"{api.base}/bot",
            "base_file_url": f"{api.base}/file/bot",
            "poll_timeout_s": 1,
        }
    )
    adapter = TelegramAdapter(core, TOKEN, config)
    core.outbox.register(adapter)  # as the composition root does
    await adapter.start()
    yield Harness(adapter, api)
    await adapter.stop()
    await api.stop()
