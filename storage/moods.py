"""Moods per (user, persona)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.keys import OwnerKey
from storage.models import Mood


async def stage_mood(
    s: AsyncSession, owner: OwnerKey, emotion: str, intensity: float, now: datetime
) -> None:
    """Store a mood inside a caller's transaction (update, else insert: portable SQL)."""
    changed = await s.execute(
        update(Mood)
        .where(Mood.user_id == owner.user_id, Mood.persona_id == owner.persona_id)
        .values(emotion=emotion, intensity=intensity, updated_at=now)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        await s.execute(
            insert(Mood).values(
                user_id=owner.user_id,
                persona_id=owner.persona_id,
                emotion=emotion,
                intensity=intensity,
                updated_at=now,
            )
        )


class MoodRepo:
    """The stored mood of a (user, persona)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, owner: OwnerKey) -> tuple[str, float, datetime] | None:
        """(emotion, intensity, updated_at), or None before the first message."""
        async with self.db.sessions() as s:
            row = await s.get(Mood, (owner.user_id, owner.persona_id))
            return None if row is None else (row.emotion, row.intensity, row.updated_at)

    async def set(self, owner: OwnerKey, emotion: str, intensity: float, now: datetime) -> None:
        """Store the mood as of `now`."""
        async with self.db.write() as s:
            await stage_mood(s, owner, emotion, intensity, now)
            await s.commit()

    async def all(self, batch: int = 5000) -> list[tuple[int, int, str, float, datetime]]:
        """Every stored mood (for the relaxing job)."""
        async with self.db.sessions() as s:
            rows = await s.execute(
                select(
                    Mood.user_id, Mood.persona_id, Mood.emotion, Mood.intensity, Mood.updated_at
                )
            )
            return [tuple(r) for r in rows.all()]  # type: ignore[misc]
