"""Persona versions: what a persona's fields were after each change, who made it and when.
Written in the same transaction as the change (storage/personas.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.models import PersonaRow, PersonaVersion, User, utcnow

# What a version holds and a rollback restores: what the persona says and how. Not its state
# (enabled, retirement, usage), not its name or where it lives, and never anyone's memories.
FIELDS = (
    "display_name",
    "system_prompt",
    "bio",
    "avatar_url",
    "avatar_image",
    "greeting",
    "example_dialogue",
    "post_history",
    "traits",
    "custom_traits",
    "domains",
    "style",
    "voice",
    "custom_voice_id",
    "model",
    "temperature",
    "template",
    "visibility",
    "knowledge",
    "decay",
    "farewell",
    "card",
)


@dataclass(frozen=True)
class VersionRecord:
    """One version, as /persona history lists it."""

    n: int
    summary: str
    by: str  # the display name of who made it ("" when the bot did)
    created_at: datetime
    fields: dict[str, Any]


def snapshot(row: PersonaRow) -> dict[str, Any]:
    """The versioned fields of a persona row, as plain JSON values."""
    return json.loads(json.dumps({f: getattr(row, f) for f in FIELDS}, default=str))


def changed(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The fields that differ."""
    return [f for f in FIELDS if old.get(f) != new.get(f)]


async def record(
    s: AsyncSession,
    persona_id: int,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    by: int | None,
    note: str = "",
) -> None:
    """Add the version after a change (and, for a persona from before versions were kept,
    the one before it first). Nothing is added when no versioned field changed."""
    if old is not None and not changed(old, new):
        return
    last = await s.scalar(
        select(func.max(PersonaVersion.n)).where(PersonaVersion.persona_id == persona_id)
    )
    n = int(last or 0)
    if n == 0 and old is not None:
        n = 1
        await s.execute(
            insert(PersonaVersion).values(
                persona_id=persona_id, n=1, fields=old, summary="as it was", created_at=utcnow()
            )
        )
    if old is None:
        summary = note or "created"
    else:
        summary = ", ".join(changed(old, new))
        summary = f"{note}: {summary}" if note else f"changed {summary}"
    await s.execute(
        insert(PersonaVersion).values(
            persona_id=persona_id,
            n=n + 1,
            fields=new,
            summary=summary[:300],
            by_user_id=by,
            created_at=utcnow(),
        )
    )


class PersonaVersions:
    """Reads a persona's versions."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions

    async def all(self, persona_id: int, n: int | None = None) -> list[VersionRecord]:
        """Every version of a persona (only version `n`, when given), newest first."""
        query = (
            select(PersonaVersion, User.display_name)
            .outerjoin(User, User.id == PersonaVersion.by_user_id)
            .where(PersonaVersion.persona_id == persona_id)
        )
        if n is not None:
            query = query.where(PersonaVersion.n == n)
        async with self._sessions() as s:
            rows = await s.execute(query.order_by(PersonaVersion.n.desc()))
            return [
                VersionRecord(v.n, v.summary, name or "", v.created_at, dict(v.fields))
                for v, name in rows
            ]

    async def get(self, persona_id: int, n: int) -> VersionRecord | None:
        """One version (read alone, not picked out of all of them)."""
        found = await self.all(persona_id, n)
        return found[0] if found else None
