"""The outbox: the core reaches users only through adapters the composition root registered."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pytest

from bot.outbox import Outbox


@dataclass
class Surface:
    """An adapter as the outbox sees it."""

    name: str
    refuse: bool = False
    got: list[tuple[str, str]] = field(default_factory=list)

    async def run(self) -> None:
        return None

    async def deliver(self, user_ref: str, text: str) -> None:
        if self.refuse:
            raise PermissionError("DMs closed")
        self.got.append((user_ref, text))


async def test_delivery_goes_to_the_platforms_adapter_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    outbox = Outbox()
    tg, dc = Surface("telegram"), Surface("discord", refuse=True)
    assert not await outbox.send("telegram", "42", "hi")  # nobody registered yet
    outbox.register(tg)
    outbox.register(dc)
    assert await outbox.send("telegram", "42", "Luna: bye")
    assert tg.got == [("42", "Luna: bye")]
    with caplog.at_level(logging.INFO):
        assert not await outbox.send("discord", "7", "Luna: bye")  # refused: not lost silently
    assert "discord: direct message failed: PermissionError" in caplog.text
    assert not await outbox.send("console", "alice", "x")
    assert outbox.reaches("discord") and not outbox.reaches("console")
