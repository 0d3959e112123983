"""The adapter protocol, and the outbox through which the core reaches users unprompted."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class Adapter(Protocol):
    """What the composition root needs of every surface (console, Discord, Telegram)."""

    name: str  # the platform it serves

    async def run(self) -> None:
        """Start and serve until cancelled (cancelling is how it stops)."""

    async def deliver(self, user_ref: str, text: str) -> None:
        """Send `text` to one user directly (a DM); raises if the platform refuses."""


class Outbox:
    """Adapters registered by platform; the core's notifications (farewells) go through it."""

    def __init__(self) -> None:
        self._adapters: dict[str, Adapter] = {}

    def register(self, adapter: Adapter) -> None:
        """Let the core reach this adapter's users."""
        self._adapters[adapter.name] = adapter

    def reaches(self, platform: str) -> bool:
        """Is an adapter for this platform running here?"""
        return platform in self._adapters

    async def send(self, platform: str, user_ref: str, text: str) -> bool:
        """Deliver to one user; False when no adapter reaches them or the platform refused."""
        adapter = self._adapters.get(platform)
        if adapter is None:
            return False
        try:
            await adapter.deliver(user_ref, text)
        except Exception as exc:  # DMs closed, user gone: they hear it on their next message
            log.info("%s: direct message failed: %s", platform, type(exc).__name__)
            return False
        return True
