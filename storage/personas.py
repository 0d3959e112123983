"""Personas and presets, and which one is active per (user, space)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from personas.errors import Conflict
from personas.model import Persona
from storage.db import Database
from storage.models import ActivePersona, PersonaRow, utcnow
from storage.persona_versions import PersonaVersions, record, snapshot

_PERSONA_FIELDS = {f.name for f in fields(Persona)}


def _persona(row: PersonaRow) -> Persona:
    values = {k: getattr(row, k) for k in _PERSONA_FIELDS}
    values["domains"] = tuple(row.domains or ())
    values["traits"] = dict(row.traits or {})
    values["custom_traits"] = dict(row.custom_traits or {})
    values["card"] = dict(row.card or {})
    return Persona(**values)


class PersonaRepo:
    """Personas and presets, and which one is active per (user, space)."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write_settings  # every change here drops the turn's read cache
        self._cache = db.cache
        self.versions = PersonaVersions(db)

    async def get(self, persona_id: int) -> Persona | None:
        """One persona by id."""
        async with self._sessions() as s:
            row = await s.get(PersonaRow, persona_id)
            return _persona(row) if row else None

    async def visible(self, user_id: int, space_id: int) -> list[Persona]:
        """Everything this user may talk to here: presets, own personas, others' public ones."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(PersonaRow)
                .where(
                    or_(
                        PersonaRow.is_preset.is_(True)
                        & (PersonaRow.space_id.is_(None) | (PersonaRow.space_id == space_id)),
                        PersonaRow.owner_id == user_id,
                        (PersonaRow.visibility == "public") & (PersonaRow.space_id == space_id),
                    )
                )
                .order_by(PersonaRow.is_preset.desc(), PersonaRow.name)
            )
            return [_persona(r) for r in rows]

    async def public_here(self, space_id: int) -> list[Persona]:
        """Personas their owners share in this space."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(PersonaRow).where(
                    PersonaRow.is_preset.is_(False),
                    PersonaRow.visibility == "public",
                    PersonaRow.space_id == space_id,
                )
            )
            return [_persona(r) for r in rows]

    async def in_scopes(self, scopes: Sequence[str], name: str) -> list[Persona]:
        """Personas with this handle in any of `scopes`, in the order the scopes are given."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(PersonaRow).where(
                    PersonaRow.scope_key.in_(list(scopes)), PersonaRow.name == name
                )
            )
            found = {r.scope_key: _persona(r) for r in rows}
        return [found[k] for k in scopes if k in found]

    async def by_scope(self, scope_key: str, name: str) -> Persona | None:
        """The persona with this handle in one scope (global, space:<id>, user:<id>)."""
        async with self._sessions() as s:
            row = await s.scalar(
                select(PersonaRow).where(
                    PersonaRow.scope_key == scope_key, PersonaRow.name == name
                )
            )
            return _persona(row) if row else None

    async def presets(self, space_id: int) -> list[Persona]:
        """Global presets and this space's, disabled ones included."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(PersonaRow)
                .where(
                    PersonaRow.is_preset.is_(True),
                    PersonaRow.space_id.is_(None) | (PersonaRow.space_id == space_id),
                )
                .order_by(PersonaRow.name)
            )
            return [_persona(r) for r in rows]

    async def count_owned(self, user_id: int) -> int:
        """How many personas this user owns."""
        async with self._sessions() as s:
            n = await s.scalar(select(func.count()).where(PersonaRow.owner_id == user_id))
            return int(n or 0)

    async def create(
        self, scope_key: str, values: dict[str, Any], by: int | None = None, note: str = ""
    ) -> Persona:
        """Insert a persona (its first version with it); a name taken in the scope raises
        Conflict."""
        now = utcnow()
        row = PersonaRow(scope_key=scope_key, created_at=now, updated_at=now, **values)
        async with self._write() as s:
            s.add(row)
            try:
                await s.flush()
                await record(s, row.id, None, snapshot(row), by, note)
                await s.commit()
            except IntegrityError:
                raise Conflict(f"the name '{values['name']}' is already taken here") from None
            return _persona(row)

    async def ensure_shipped(self, values: dict[str, Any]) -> bool:
        """Insert a shipped global preset unless one by that name exists (admin edits win)."""
        if await self.by_scope("global", values["name"]) is not None:
            return False
        await self.create("global", {**values, "is_preset": True, "source": "shipped"})
        return True

    async def update(
        self, persona_id: int, values: dict[str, Any], by: int | None = None, note: str = ""
    ) -> Persona:
        """Change fields of one persona; a change to what it says or how is kept as a new
        version (made by user `by`; `note` says why, e.g. a rollback)."""
        async with self._write() as s:
            before = await s.get(PersonaRow, persona_id)
            old = snapshot(before) if before is not None else None
            await s.execute(
                update(PersonaRow)
                .where(PersonaRow.id == persona_id)
                .values(**values, updated_at=utcnow())
            )
            row = await s.get(PersonaRow, persona_id, populate_existing=True)
            assert row is not None
            if old is not None:
                await record(s, persona_id, old, snapshot(row), by, note)
            await s.commit()
            return _persona(row)

    async def delete(self, persona_id: int) -> None:
        """Remove a persona; its turns and active-persona entries go with it."""
        async with self._write() as s:
            await s.execute(delete(PersonaRow).where(PersonaRow.id == persona_id))
            await s.commit()

    async def cached(self, key: Hashable, load: Callable[[], Awaitable[Persona]]) -> Persona:
        """A persona resolved by `load`, kept until any persona or choice changes."""
        return await self._cache.get(("persona", key), load)

    async def active(self, user_id: int, space_id: int) -> Persona | None:
        """The persona this user last switched to in this space (cached between changes)."""
        return await self._cache.get(
            ("active", user_id, space_id), lambda: self._active(user_id, space_id)
        )

    async def _active(self, user_id: int, space_id: int) -> Persona | None:
        async with self._sessions() as s:
            row = await s.scalar(
                select(PersonaRow)
                .join(ActivePersona, ActivePersona.persona_id == PersonaRow.id)
                .where(ActivePersona.user_id == user_id, ActivePersona.space_id == space_id)
            )
            return _persona(row) if row else None

    async def set_active(self, user_id: int, space_id: int, persona_id: int) -> None:
        """Remember the persona this user talks to in this space."""
        async with self._write() as s:
            await s.merge(ActivePersona(user_id=user_id, space_id=space_id, persona_id=persona_id))
            await s.commit()
