"""Per-space model and temperature overrides."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from storage.db import Database
from storage.models import SpaceSettings, utcnow


class SpaceSettingsRepo:
    """Per-space model and temperature overrides."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write_settings  # every change here drops the turn's read cache
        self._cache = db.cache

    async def get(self, space_id: int) -> tuple[str, float | None]:
        """(model, temperature) overrides; empty model / None mean unset (cached)."""
        return await self._cache.get(("space", space_id), lambda: self._get(space_id))

    async def _get(self, space_id: int) -> tuple[str, float | None]:
        async with self._sessions() as s:
            row = await s.get(SpaceSettings, space_id)
            return (row.model, row.temperature) if row else ("", None)

    async def set(self, space_id: int, **values: Any) -> None:
        """Set model and/or temperature for a space."""
        async with self._write() as s:
            row = await s.get(SpaceSettings, space_id)
            if row is None:
                row = SpaceSettings(space_id=space_id, model="", temperature=None)
                s.add(row)
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            await s.commit()

    async def reset(self, space_id: int) -> None:
        """Drop the space's overrides."""
        async with self._write() as s:
            await s.execute(delete(SpaceSettings).where(SpaceSettings.space_id == space_id))
            await s.commit()
