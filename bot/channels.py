"""Chat channels: where the bot answers every message, without a mention (cached per space)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.channels import ChatChannelRepo


class ChatChannels:
    """The chat channels of each space; changed only through `set`, so the cache stays true."""

    def __init__(self, repo: ChatChannelRepo) -> None:
        self.repo = repo
        self._cache: dict[int, set[str]] = {}

    async def of_space(self, space_id: int) -> set[str]:
        """Chat channels of a space."""
        if space_id not in self._cache:
            self._cache[space_id] = await self.repo.of_space(space_id)
        return self._cache[space_id]

    async def set(self, space_id: int, channel_ref: str, on: bool, user_id: int) -> bool:
        """Mark or unmark a chat channel; returns whether it changed."""
        changed = await self.repo.set(space_id, channel_ref, on, user_id)
        self._cache.pop(space_id, None)
        return changed

    async def has(self, space_id: int, channel_ref: str) -> bool:
        """Is this a chat channel?"""
        return bool(channel_ref) and channel_ref in await self.of_space(space_id)
