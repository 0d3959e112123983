"""Repositories: the only code that reads or writes tables. Turn reads need an OwnerKey."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.errors import Conflict
from personas.model import Persona
from storage.db import Database
from storage.models import (
    ActivePersona,
    PersonaRow,
    Space,
    SpaceSettings,
    Turn,
    UsageLog,
    User,
    utcnow,
)


@dataclass(frozen=True)
class OwnerKey:
    """The (user, persona) pair that owns a memory; every memory read is keyed by it."""

    user_id: int
    persona_id: int


@dataclass(frozen=True)
class TurnRecord:
    """One stored message."""

    id: int
    role: str
    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    created_at: datetime


@dataclass(frozen=True)
class UsageLine:
    """Token totals of one persona for one user."""

    persona_name: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    spoken_characters: int = 0


_PERSONA_FIELDS = {f.name for f in fields(Persona)}


def _persona(row: PersonaRow) -> Persona:
    values = {k: getattr(row, k) for k in _PERSONA_FIELDS}
    values["domains"] = tuple(row.domains or ())
    values["traits"] = dict(row.traits or {})
    values["custom_traits"] = dict(row.custom_traits or {})
    return Persona(**values)


def _turn(row: Turn) -> TurnRecord:
    return TurnRecord(
        row.id,
        row.role,
        row.content,
        row.model,
        row.prompt_tokens,
        row.completion_tokens,
        row.created_at,
    )


class Identities:
    """Users and spaces, created on first sight."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def _get_or_create(self, query: Select[int], row: User | Space) -> int:
        async with self._sessions() as s:
            found = await s.scalar(query)
        if found is not None:
            return found
        async with self._write() as s:
            found = await s.scalar(query)  # another task may have created it meanwhile
            if found is not None:
                return found
            s.add(row)
            try:
                await s.commit()
            except IntegrityError:  # created by another process sharing the database
                await s.rollback()
                return int(await s.scalar(query) or 0)
            return row.id

    async def name(self, user_id: int) -> str:
        """A user's display name ("" if unknown)."""
        async with self._sessions() as s:
            return await s.scalar(select(User.display_name).where(User.id == user_id)) or ""

    async def user(self, platform: str, ref: str, display_name: str = "") -> int:
        """The id of this platform account, created if new."""
        return await self._get_or_create(
            select(User.id).where(User.platform == platform, User.platform_user_id == ref),
            User(platform=platform, platform_user_id=ref, display_name=display_name[:100]),
        )

    async def space(self, platform: str, ref: str, kind: str) -> int:
        """The id of this chat place, created if new."""
        return await self._get_or_create(
            select(Space.id).where(Space.platform == platform, Space.platform_space_id == ref),
            Space(platform=platform, platform_space_id=ref, kind=kind),
        )


class PersonaRepo:
    """Personas and presets, and which one is active per (user, space)."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

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

    async def create(self, scope_key: str, values: dict[str, Any]) -> Persona:
        """Insert a persona; a name taken in the scope raises Conflict."""
        now = utcnow()
        row = PersonaRow(scope_key=scope_key, created_at=now, updated_at=now, **values)
        async with self._write() as s:
            s.add(row)
            try:
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

    async def update(self, persona_id: int, values: dict[str, Any]) -> Persona:
        """Change fields of one persona."""
        async with self._write() as s:
            await s.execute(
                update(PersonaRow)
                .where(PersonaRow.id == persona_id)
                .values(**values, updated_at=utcnow())
            )
            await s.commit()
            row = await s.get(PersonaRow, persona_id, populate_existing=True)
            assert row is not None
            return _persona(row)

    async def delete(self, persona_id: int) -> None:
        """Remove a persona; its turns and active-persona entries go with it."""
        async with self._write() as s:
            await s.execute(delete(PersonaRow).where(PersonaRow.id == persona_id))
            await s.commit()

    async def active(self, user_id: int, space_id: int) -> Persona | None:
        """The persona this user last switched to in this space."""
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


class TurnRepo:
    """The short-term chat log, always addressed by OwnerKey."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def add_user(self, owner: OwnerKey, space_id: int, content: str) -> int:
        """Store the user's message (before any model call) and count the persona's use."""
        # Core inserts, not ORM objects: this is the hot path of every turn.
        async with self._write() as s:
            turn_id = await s.scalar(
                insert(Turn)
                .values(
                    user_id=owner.user_id,
                    persona_id=owner.persona_id,
                    space_id=space_id,
                    role="user",
                    content=content,
                    created_at=utcnow(),
                )
                .returning(Turn.id)
            )
            await s.execute(
                update(PersonaRow)
                .where(PersonaRow.id == owner.persona_id)
                .values(usage_count=PersonaRow.usage_count + 1, last_used_at=utcnow())
            )
            await s.commit()
            return int(turn_id or 0)

    async def add_assistant(
        self,
        owner: OwnerKey,
        space_id: int,
        content: str,
        *,
        model: str,
        persona_name: str,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> int:
        """Store the reply together with its token usage."""
        tokens = {
            "model": model,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "created_at": utcnow(),
            "user_id": owner.user_id,
            "persona_id": owner.persona_id,
            "space_id": space_id,
        }
        async with self._write() as s:
            turn_id = await s.scalar(
                insert(Turn).values(role="assistant", content=content, **tokens).returning(Turn.id)
            )
            await s.execute(insert(UsageLog).values(persona_name=persona_name, **tokens))
            await s.commit()
            return int(turn_id or 0)

    async def recent(
        self, owner: OwnerKey, limit: int, before_id: int | None = None
    ) -> list[TurnRecord]:
        """The last `limit` turns of this owner, oldest first."""
        if limit <= 0:
            return []
        query = select(Turn).where(
            Turn.user_id == owner.user_id, Turn.persona_id == owner.persona_id
        )
        if before_id is not None:
            query = query.where(Turn.id < before_id)
        async with self._sessions() as s:
            rows = await s.scalars(query.order_by(Turn.id.desc()).limit(limit))
            return [_turn(r) for r in reversed(list(rows))]

    async def count(self, owner: OwnerKey) -> int:
        """How many turns this owner has."""
        async with self._sessions() as s:
            n = await s.scalar(
                select(func.count()).where(
                    Turn.user_id == owner.user_id, Turn.persona_id == owner.persona_id
                )
            )
            return int(n or 0)

    async def awaiting_extraction(
        self, limit: int, max_attempts: int
    ) -> list[tuple[OwnerKey, TurnRecord, str]]:
        """User turns not yet distilled into facts, with the reply that followed each.

        Spans owners on purpose (a maintenance queue); each result carries its own OwnerKey.
        """
        async with self._sessions() as s:
            users = list(
                await s.scalars(
                    select(Turn)
                    .where(
                        Turn.role == "user",
                        Turn.extracted_at.is_(None),
                        Turn.extract_attempts < max_attempts,
                    )
                    .order_by(Turn.id)
                    .limit(limit)
                )
            )
            out = []
            for turn in users:
                reply = await s.scalar(
                    select(Turn.content)
                    .where(
                        Turn.user_id == turn.user_id,
                        Turn.persona_id == turn.persona_id,
                        Turn.role == "assistant",
                        Turn.id > turn.id,
                    )
                    .order_by(Turn.id)
                    .limit(1)
                )
                if reply is not None:
                    out.append((OwnerKey(turn.user_id, turn.persona_id), _turn(turn), reply))
            return out

    async def mark_extracted(self, turn_id: int, ok: bool) -> None:
        """Done, or one more failed attempt."""
        values: dict[str, Any] = (
            {"extracted_at": utcnow()} if ok else {"extract_attempts": Turn.extract_attempts + 1}
        )
        async with self._write() as s:
            await s.execute(update(Turn).where(Turn.id == turn_id).values(**values))
            await s.commit()

    async def wipe(self, owner: OwnerKey) -> int:
        """Delete every turn of this owner; returns how many."""
        async with self._write() as s:
            result = await s.execute(
                delete(Turn).where(
                    Turn.user_id == owner.user_id, Turn.persona_id == owner.persona_id
                )
            )
            await s.commit()
            return int(getattr(result, "rowcount", 0) or 0)


class UsageRepo:
    """Token totals for /usage."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def by_persona(self, user_id: int) -> Sequence[UsageLine]:
        """This user's replies, tokens and spoken characters per persona, most used first."""
        async with self._sessions() as s:
            rows = await s.execute(
                select(
                    UsageLog.persona_name,
                    func.sum(case((UsageLog.kind == "chat", 1), else_=0)),
                    func.sum(UsageLog.prompt_tokens),
                    func.sum(UsageLog.completion_tokens),
                    func.sum(UsageLog.characters),
                )
                .where(UsageLog.user_id == user_id)
                .group_by(UsageLog.persona_name)
                .order_by(func.sum(UsageLog.prompt_tokens + UsageLog.completion_tokens).desc())
            )
            return [
                UsageLine(n, int(c or 0), int(p or 0), int(o or 0), int(ch or 0))
                for n, c, p, o, ch in rows
            ]

    async def add_speech(
        self, owner: OwnerKey, space_id: int, persona_name: str, provider: str, characters: int
    ) -> None:
        """Record characters sent to a speech provider (ElevenLabs bills by character)."""
        async with self._write() as s:
            await s.execute(
                insert(UsageLog).values(
                    user_id=owner.user_id,
                    persona_id=owner.persona_id,
                    persona_name=persona_name,
                    space_id=space_id,
                    model=provider,
                    kind="speech",
                    characters=characters,
                    created_at=utcnow(),
                )
            )
            await s.commit()


class SpaceSettingsRepo:
    """Per-space model and temperature overrides."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def get(self, space_id: int) -> tuple[str, float | None]:
        """(model, temperature) overrides; empty model / None mean unset."""
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
