"""Per (user, persona): may recall in a group draw on what was said in DMs and elsewhere?"""

from __future__ import annotations

from storage.db import Database
from storage.keys import OwnerKey
from storage.models import MemoryScope, utcnow


class MemoryScopeRepo:
    """The user's choice; absent means "private": a group sees only that group's memories."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write_settings  # every change here drops the turn's read cache
        self._cache = db.cache

    async def everywhere(self, owner: OwnerKey) -> bool:
        """Has this user opted in to recall from everywhere with this persona? (cached)"""
        return await self._cache.get(("scope", owner), lambda: self._everywhere(owner))

    async def _everywhere(self, owner: OwnerKey) -> bool:
        async with self._sessions() as s:
            row = await s.get(MemoryScope, (owner.user_id, owner.persona_id))
            return bool(row and row.everywhere)

    async def set(self, owner: OwnerKey, everywhere: bool) -> None:
        """Opt in (True) or back out."""
        async with self._write() as s:
            row = await s.get(MemoryScope, (owner.user_id, owner.persona_id))
            if row is None:
                s.add(
                    MemoryScope(
                        user_id=owner.user_id, persona_id=owner.persona_id, everywhere=everywhere
                    )
                )
            else:
                row.everywhere = everywhere
                row.updated_at = utcnow()
            await s.commit()
