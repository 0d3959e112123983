"""Persona retirement: a plan (after N inactive days, or on a date) and the job that carries it
out — archive of its memories, a farewell owed to each of its users, status retired."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update

from bot.errors import BadInput, PermissionDenied
from storage.models import MemoryItem, PersonaRow, Turn, User
from storage.moods import FarewellRepo

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core
    from personas.model import Persona

log = logging.getLogger(__name__)

# platform → send(user_ref, text): adapters that can reach a user directly register one.
Notifier = Callable[[str, str], Awaitable[None]]


def parse_date(text: str) -> datetime:
    """`on=` values: 2026-12-24 or 2026-12-24T18:00 (UTC)."""
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=None)
    except ValueError:
        raise BadInput(f"on= wants a date like 2026-12-24 (got '{text}')") from None


@dataclass
class RetireResult:
    """Personas retired by one run."""

    retired: list[str]


class Retirement:
    """Plans, the job, and the farewell on first contact afterwards."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db
        self.farewells = FarewellRepo(core.db)
        self.notifiers: dict[str, Notifier] = {}

    async def _retirable(self, ctx: Context, name: str) -> Persona:
        p = await self.core.personas.find(ctx, name, retired=True)
        if p.is_preset and not ctx.space_admin:
            raise PermissionDenied("only admins can retire presets")
        return self.core.personas.may_change(ctx, p, "retire it")

    async def plan(
        self,
        ctx: Context,
        name: str,
        *,
        after: int | None,
        on: str | None,
        farewell: str,
        now: datetime,
    ) -> tuple[Persona, str]:
        """Set the plan; returns the persona and a sentence saying when it retires."""
        p = await self._retirable(ctx, name)
        if p.status == "retired":
            raise BadInput(f"'{p.name}' has already retired — /persona unretire brings it back")
        if after is not None and after < 1:
            raise BadInput("after= is a number of days, at least 1")
        when = parse_date(on) if on else (None if after else now)
        limit = self.core.settings.limits.greeting
        if len(farewell) > limit:
            raise BadInput(f"farewell is too long: {len(farewell)} characters (limit {limit})")
        await self.core.personas.repo.update(
            p.id, {"retire_after_days": after, "retire_on": when, "farewell": farewell.strip()}
        )
        if when is not None and when <= now:
            text = "at the next retirement run (within minutes)"
        elif when is not None:
            text = f"on {when:%Y-%m-%d %H:%M} UTC"
        else:
            text = f"after {after} days without a message"
        return p, text

    async def cancel(self, ctx: Context, name: str) -> Persona:
        """Drop the plan; a retired persona comes back into use."""
        p = await self._retirable(ctx, name)
        await self.core.personas.repo.update(
            p.id,
            {"retire_after_days": None, "retire_on": None, "status": "active", "retired_at": None},
        )
        return p

    async def due(self, now: datetime) -> list[int]:
        """Ids of personas whose plan says retire by `now`."""
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

    async def run(self, now: datetime) -> RetireResult:
        """Retire every due persona; safe to repeat (each step can run twice)."""
        retired = []
        for pid in await self.due(now):
            p = await self.core.personas.repo.get(pid)
            if p is None:
                continue
            await self._retire(p, now)
            retired.append(p.name)
        return RetireResult(retired)

    async def _retire(self, p: Persona, now: datetime) -> None:
        path = await self.archive(p, now)
        async with self.db.sessions() as s:
            users = list(
                await s.scalars(select(Turn.user_id).where(Turn.persona_id == p.id).distinct())
            )
        await self.farewells.owe(p.id, users)
        async with self.db.write() as s:
            await s.execute(
                update(PersonaRow)
                .where(PersonaRow.id == p.id)
                .values(status="retired", retired_at=now)
            )
            await s.commit()
        log.info("retired persona %s (%d users, archive %s)", p.name, len(users), path)
        await self._tell(p, now)

    async def archive(self, p: Persona, now: datetime) -> Path:
        """Every memory of the persona, per user, as JSON under data_dir/archives/."""
        async with self.db.sessions() as s:
            rows = (
                await s.execute(
                    select(MemoryItem, User.platform, User.platform_user_id)
                    .join(User, User.id == MemoryItem.user_id)
                    .where(MemoryItem.persona_id == p.id)
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
        folder = self.core.settings.data_dir / "archives"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{p.name}-{p.id}.json"
        data = {
            "persona": {"name": p.name, "display_name": p.display_name, "id": p.id},
            "retired_at": now.isoformat(),
            "farewell": p.farewell,
            "users": users,
        }
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # whole or not at all, even if the run dies half-way
        return path

    def farewell_text(self, p: Persona) -> str:
        """What the persona says when it leaves."""
        return p.farewell or f"{p.display_name} has retired. Thank you for every conversation."

    async def _tell(self, p: Persona, now: datetime) -> None:
        """Say goodbye by DM where an adapter can (the rest hear it on their next message)."""
        if not self.notifiers:
            return
        for user_id in await self.farewells.owed(p.id):
            async with self.db.sessions() as s:
                user = await s.get(User, user_id)
            send = self.notifiers.get(user.platform) if user is not None else None
            if user is None or send is None:
                continue
            try:
                await send(user.platform_user_id, f"{p.display_name}: {self.farewell_text(p)}")
            except (
                Exception
            ) as exc:  # DMs closed, user gone: they'll hear it on their next message
                log.info("farewell DM failed: %s", type(exc).__name__)
                continue
            await self.farewells.take(user_id, p.id, now)
