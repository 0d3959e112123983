"""Scenes: which personas take turns in a channel (kept across restarts)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from personas.errors import Conflict
from storage.db import Database
from storage.models import SceneRow, utcnow


@dataclass(frozen=True)
class Scene:
    """A scene in one channel."""

    id: int
    space_id: int
    channel_ref: str
    starter_id: int | None
    persona_ids: tuple[int, ...]
    next_index: int


def _scene(row: SceneRow) -> Scene:
    return Scene(
        row.id,
        row.space_id,
        row.channel_ref,
        row.starter_id,
        tuple(int(x) for x in row.persona_ids or ()),
        row.next_index,
    )


class SceneRepo:
    """The `scenes` table: at most one scene per (space, channel)."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write_settings  # every turn in a group asks: read through the cache
        self._cache = db.cache

    async def here(self, space_id: int, channel_ref: str) -> Scene | None:
        """The scene running in this channel, if any (cached)."""
        return await self._cache.get(
            ("scene", space_id, channel_ref), lambda: self._here(space_id, channel_ref)
        )

    async def _here(self, space_id: int, channel_ref: str) -> Scene | None:
        async with self._sessions() as s:
            row = await s.scalar(
                select(SceneRow).where(
                    SceneRow.space_id == space_id, SceneRow.channel_ref == channel_ref
                )
            )
            return _scene(row) if row is not None else None

    async def start(
        self, space_id: int, channel_ref: str, starter_id: int, persona_ids: list[int]
    ) -> Scene:
        """A new scene; Conflict when the channel has one."""
        row = SceneRow(
            space_id=space_id,
            channel_ref=channel_ref,
            starter_id=starter_id,
            persona_ids=persona_ids,
            next_index=0,
            created_at=utcnow(),
        )
        async with self._write() as s:
            s.add(row)
            try:
                await s.commit()
            except IntegrityError:
                raise Conflict("this channel already has a scene — /scene end it first") from None
            return _scene(row)

    async def cast(self, scene_id: int, persona_ids: list[int]) -> None:
        """Set who is in the scene (in speaking order)."""
        async with self._write() as s:
            await s.execute(
                update(SceneRow).where(SceneRow.id == scene_id).values(persona_ids=persona_ids)
            )
            await s.commit()

    async def advance(self, scene_id: int, next_index: int) -> None:
        """Whose turn it is next in round_robin."""
        async with self._write() as s:
            await s.execute(
                update(SceneRow).where(SceneRow.id == scene_id).values(next_index=next_index)
            )
            await s.commit()

    async def end(self, scene_id: int) -> None:
        """The scene is over."""
        async with self._write() as s:
            await s.execute(delete(SceneRow).where(SceneRow.id == scene_id))
            await s.commit()
