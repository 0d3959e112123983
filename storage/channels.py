"""Chat channels: places inside a space where the bot answers without being mentioned."""

from __future__ import annotations

from sqlalchemy import select

from storage.db import Database
from storage.models import ChatChannel


class ChatChannelRepo:
    """Which channels of a space are chat channels."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def of_space(self, space_id: int) -> set[str]:
        """Channel refs marked as chat channels in a space."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(ChatChannel.channel_ref).where(ChatChannel.space_id == space_id)
            )
            return set(rows)

    async def set(self, space_id: int, channel_ref: str, on: bool, user_id: int) -> bool:
        """Mark or unmark a channel; returns whether anything changed."""
        async with self._write() as s:
            row = await s.get(ChatChannel, (space_id, channel_ref))
            if on and row is None:
                s.add(ChatChannel(space_id=space_id, channel_ref=channel_ref, added_by=user_id))
            elif not on and row is not None:
                await s.delete(row)
            else:
                return False
            await s.commit()
            return True
