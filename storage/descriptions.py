"""What a user tells the personas about themselves: a name and a few lines, for every persona or
for one (SillyTavern's user persona)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from storage.db import Database
from storage.models import UserDescription, utcnow


@dataclass(frozen=True)
class Description:
    """A user's description; `persona_id` None: the one every persona hears."""

    persona_id: int | None
    name: str
    about: str


class DescriptionRepo:
    """One row per (user, persona or every persona); read on every turn, so cached."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write_settings  # every change here drops the turn's read cache
        self._cache = db.cache

    async def all_of(self, user_id: int) -> list[Description]:
        """Every description this user gave (the general one first)."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(UserDescription).where(UserDescription.user_id == user_id)
            )
            found = [Description(r.persona_id, r.name, r.about) for r in rows]
        return sorted(found, key=lambda d: (d.persona_id is not None, d.persona_id or 0))

    async def for_persona(self, user_id: int, persona_id: int) -> Description:
        """What this persona is told: its own description's fields over the general ones."""
        return await self._cache.get(
            ("me", user_id, persona_id), lambda: self._for_persona(user_id, persona_id)
        )

    async def _for_persona(self, user_id: int, persona_id: int) -> Description:
        general = Description(None, "", "")
        own = Description(persona_id, "", "")
        for d in await self.all_of(user_id):
            if d.persona_id is None:
                general = d
            elif d.persona_id == persona_id:
                own = d
        return Description(persona_id, own.name or general.name, own.about or general.about)

    async def set(
        self, user_id: int, persona_id: int | None, name: str | None, about: str | None
    ) -> None:
        """Change the given fields (None: keep what is there)."""
        async with self._write() as s:
            row = await s.scalar(
                select(UserDescription).where(UserDescription.user_id == user_id, _for(persona_id))
            )
            if row is None:
                row = UserDescription(user_id=user_id, persona_id=persona_id, name="", about="")
                s.add(row)
            if name is not None:
                row.name = name
            if about is not None:
                row.about = about
            row.updated_at = utcnow()
            await s.commit()

    async def clear(self, user_id: int, persona_id: int | None) -> bool:
        """Forget one description; False if there was none."""
        async with self._write() as s:
            gone = await s.execute(
                delete(UserDescription).where(UserDescription.user_id == user_id, _for(persona_id))
            )
            await s.commit()
            return bool(getattr(gone, "rowcount", 0))


def _for(persona_id: int | None) -> Any:
    if persona_id is None:
        return UserDescription.persona_id.is_(None)
    return UserDescription.persona_id == persona_id
