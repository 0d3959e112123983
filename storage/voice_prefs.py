"""Spoken replies on or off, per user per space."""

from __future__ import annotations

from storage.db import Database
from storage.models import VoicePref, utcnow


class VoicePrefRepo:
    """Whether a user hears replies in a space (None: never said)."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write_settings  # every change here drops the turn's read cache
        self._cache = db.cache

    async def get(self, user_id: int, space_id: int) -> bool | None:
        """The user's choice in this space, if any (cached)."""
        return await self._cache.get(
            ("voice", user_id, space_id), lambda: self._get(user_id, space_id)
        )

    async def _get(self, user_id: int, space_id: int) -> bool | None:
        async with self._sessions() as s:
            row = await s.get(VoicePref, (user_id, space_id))
            return None if row is None else bool(row.enabled)

    async def set(self, user_id: int, space_id: int, enabled: bool) -> None:
        """Turn spoken replies on or off."""
        async with self._write() as s:
            row = await s.get(VoicePref, (user_id, space_id))
            if row is None:
                s.add(VoicePref(user_id=user_id, space_id=space_id, enabled=enabled))
            else:
                row.enabled = enabled
                row.updated_at = utcnow()
            await s.commit()
