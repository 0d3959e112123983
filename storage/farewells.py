"""The farewells retired personas owe their users: each shown once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from storage.db import Database
from storage.models import Farewell


class FarewellRepo:
    """Which users a retired persona still has to say goodbye to."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def owe(self, persona_id: int, user_ids: Sequence[int]) -> None:
        """Owe a farewell to these users (again: a no-op for those already owed or told)."""
        async with self.db.write() as s:
            known = set(
                await s.scalars(select(Farewell.user_id).where(Farewell.persona_id == persona_id))
            )
            for user_id in user_ids:
                if user_id not in known:
                    s.add(Farewell(user_id=user_id, persona_id=persona_id, shown_at=None))
            await s.commit()

    async def take(self, user_id: int, persona_id: int, now: datetime) -> bool:
        """Mark the farewell shown; True only the first time (so it is shown once)."""
        async with self.db.write() as s:
            done = await s.execute(
                update(Farewell)
                .where(
                    Farewell.user_id == user_id,
                    Farewell.persona_id == persona_id,
                    Farewell.shown_at.is_(None),
                )
                .values(shown_at=now)
            )
            await s.commit()
            return bool(getattr(done, "rowcount", 0))

    async def owed(self, persona_id: int) -> list[int]:
        """Users still owed this persona's farewell."""
        async with self.db.sessions() as s:
            return list(
                await s.scalars(
                    select(Farewell.user_id).where(
                        Farewell.persona_id == persona_id, Farewell.shown_at.is_(None)
                    )
                )
            )
