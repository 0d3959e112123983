"""What the retirement job reads and writes: due plans, a persona's users, its memories."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update

from storage.db import Database
from storage.models import MemoryItem, PersonaRow, Turn, User


class RetirementRepo:
    """Set-wise reads for the retirement job; the plan itself is a persona field."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def due(self, now: datetime) -> list[int]:
        """Ids of active personas whose plan says retire by `now`."""
        quiet = PersonaRow.retire_after_days.is_not(None)
        async with self.db.sessions() as s:
            rows = (
                await s.execute(
                    select(
                        PersonaRow.id,
                        PersonaRow.retire_on,
                        PersonaRow.retire_after_days,
                        PersonaRow.last_used_at,
                        PersonaRow.created_at,
                    ).where(
                        PersonaRow.status == "active",
                        or_(PersonaRow.retire_on.is_not(None), quiet),
                    )
                )
            ).all()
        out = []
        for pid, on, after, used, created in rows:
            dated = on is not None and on <= now
            quiet_long = after is not None and (used or created) + timedelta(days=after) <= now
            if dated or quiet_long:
                out.append(pid)
        return out

    async def users_of(self, persona_id: int) -> list[int]:
        """Every user who ever wrote to the persona."""
        async with self.db.sessions() as s:
            query = select(Turn.user_id).where(Turn.persona_id == persona_id).distinct()
            return list(await s.scalars(query))

    async def mark_retired(self, persona_id: int, now: datetime) -> None:
        """Status retired, stamped now."""
        async with self.db.write_settings() as s:
            await s.execute(
                update(PersonaRow)
                .where(PersonaRow.id == persona_id)
                .values(status="retired", retired_at=now)
            )
            await s.commit()

    async def memories_by_user(self, persona_id: int) -> dict[str, list[dict[str, Any]]]:
        """Every memory of the persona, grouped by "platform:user_ref", for the archive."""
        async with self.db.sessions() as s:
            rows = (
                await s.execute(
                    select(MemoryItem, User.platform, User.platform_user_id)
                    .join(User, User.id == MemoryItem.user_id)
                    .where(MemoryItem.persona_id == persona_id)
                    .order_by(MemoryItem.user_id, MemoryItem.id)
                )
            ).all()
        users: dict[str, list[dict[str, Any]]] = {}
        for item, platform, ref in rows:
            users.setdefault(f"{platform}:{ref}", []).append(
                {
                    "id": item.id,
                    "kind": item.kind,
                    "text": item.text,
                    "status": item.status,
                    "tier": item.tier,
                    "importance": item.importance,
                    "strength": item.strength,
                    "created_at": item.created_at.isoformat(),
                }
            )
        return users
