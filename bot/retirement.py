"""Persona retirement: a plan (after N inactive days, or on a date) and the job that carries it
out — archive of its memories, a farewell owed to each of its users, status retired."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.errors import BadInput
from bot.outbox import Outbox
from storage.farewells import FarewellRepo
from storage.identities import Identities
from storage.retirement import RetirementRepo

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.documents import KnowledgeDocs
    from bot.persona_service import PersonaService
    from personas.model import Persona

log = logging.getLogger(__name__)


def parse_date(text: str, now: datetime) -> datetime:
    """`on=` values: 2026-12-24, 2026-12-24T18:00 (UTC), today, tomorrow, or in 3 days."""
    said = text.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    words = {"today": 0, "tomorrow": 1}
    if said in words:
        return midnight + timedelta(days=words[said])
    found = re.fullmatch(r"in (\d{1,4}) days?", said)
    if found:
        return midnight + timedelta(days=int(found[1]))
    try:
        return datetime.fromisoformat(text.strip()).replace(tzinfo=None)
    except ValueError:
        raise BadInput(
            f"on= wants a date like 2026-12-24, tomorrow or in 3 days (got '{text}')"
        ) from None


@dataclass
class RetireResult:
    """Personas retired by one run."""

    retired: list[str]


class Retirement:
    """Plans, the job, and the farewell on first contact afterwards."""

    def __init__(
        self,
        personas: PersonaService,
        repo: RetirementRepo,
        farewells: FarewellRepo,
        outbox: Outbox,
        settings: Settings,
        identities: Identities,
    ) -> None:
        self.identities = identities
        self.personas = personas
        self.repo = repo
        self.farewells = farewells
        self.outbox = outbox
        self.settings = settings
        self.documents: KnowledgeDocs | None = None  # the core sets it

    async def plan(
        self,
        p: Persona,
        *,
        after: int | None,
        on: str | None,
        farewell: str,
        now: datetime,
    ) -> str:
        """Set the plan of `p` (the dispatcher checked the right); says when it retires."""
        if p.status == "retired":
            raise BadInput(f"'{p.name}' has already retired — /persona unretire brings it back")
        if after is not None and after < 1:
            raise BadInput("after= is a number of days, at least 1")
        when = parse_date(on, now) if on else (None if after else now)
        limit = self.settings.limits.greeting
        if len(farewell) > limit:
            raise BadInput(f"farewell is too long: {len(farewell)} characters (limit {limit})")
        await self.personas.update(
            p, {"retire_after_days": after, "retire_on": when, "farewell": farewell.strip()}
        )
        if when is not None and when <= now:
            return "at the next retirement run (within minutes)"
        if when is not None:
            return f"on {when:%Y-%m-%d %H:%M} UTC"
        return f"after {after} days without a message"

    async def cancel(self, p: Persona) -> None:
        """Drop the plan; a retired persona comes back into use."""
        await self.personas.update(
            p,
            {"retire_after_days": None, "retire_on": None, "status": "active", "retired_at": None},
        )

    async def run(self, now: datetime) -> RetireResult:
        """Retire every due persona; safe to repeat (each step can run twice)."""
        retired = []
        for pid in await self.repo.due(now):
            p = await self.personas.get(pid)
            if p is None:
                continue
            await self._retire(p, now)
            retired.append(p.name)
        return RetireResult(retired)

    async def _retire(self, p: Persona, now: datetime) -> None:
        path = await self.archive(p, now)
        users = await self.repo.users_of(p.id)
        await self.farewells.owe(p.id, users)
        await self.repo.mark_retired(p.id, now)
        log.info("retired persona %s (%d users, archive %s)", p.name, len(users), path)
        await self._tell(p, now)

    async def archive(self, p: Persona, now: datetime) -> Path:
        """Every memory of the persona, per user, and its documents' list (names, hashes,
        sizes), as JSON under data_dir/archives/."""
        folder = self.settings.data_dir / "archives"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{p.name}-{p.id}.json"
        data = {
            "persona": {"name": p.name, "display_name": p.display_name, "id": p.id},
            "retired_at": now.isoformat(),
            "farewell": p.farewell,
            "users": await self.repo.memories_by_user(p.id),
            "documents": [d.listing() for d in await self.documents.documents(p.id)]
            if self.documents is not None
            else [],
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
        for user_id in await self.farewells.owed(p.id):
            address = await self.identities.address(user_id)
            if address is None or not self.outbox.reaches(address[0]):
                continue
            text = f"{p.display_name}: {self.farewell_text(p)}"
            if await self.outbox.send(*address, text):
                await self.farewells.take(user_id, p.id, now)
