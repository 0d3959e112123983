"""Platform updates kept before they are confirmed: received → taken (handling began) → done."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import Database
from storage.models import InboxEntry, utcnow


@dataclass(frozen=True)
class Kept:
    """An update as it arrived: its id, its JSON and who sent it (None: no sender)."""

    update_id: int
    payload: str
    sender: str | None = None


@dataclass(frozen=True)
class Unfinished:
    """An update a previous run kept but did not finish: `taken` if its handling had begun."""

    update_id: int
    payload: str
    taken: bool
    sender: str | None = None


class InboxRepo:
    """The inbox table; one row per (platform, update id), written before it is confirmed."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write
        self._insert = (
            postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        )
        self._stamps: list[tuple[str, str, int, asyncio.Future[bool]]] = []
        self._stamping: asyncio.Task[None] | None = None

    async def keep(self, platform: str, updates: Sequence[Kept]) -> None:
        """Store arrived updates (again: a no-op for those already kept, here or by another
        worker that got the same delivery)."""
        if not updates:
            return
        now = utcnow()
        rows = [
            {
                "platform": platform,
                "update_id": u.update_id,
                "payload": u.payload,
                "sender": u.sender,
                "received_at": now,
            }
            for u in updates
        ]
        async with self._write() as s:
            await s.execute(self._insert(InboxEntry).values(rows).on_conflict_do_nothing())
            await s.commit()

    async def _stamp(self, column: str, platform: str, update_id: int) -> bool:
        """Stamp one update, returning once it is committed: True when this call stamped it
        (a `taken_at` already set stays: whoever stamped it first has it). Stamps that arrive
        while one is being written share the next transaction (a burst's hundreds of updates
        take a few commits, not two each)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._stamps.append((column, platform, update_id, done))
        if self._stamping is None or self._stamping.done():
            self._stamping = asyncio.create_task(self._write_stamps())
        return await done

    async def _write_stamps(self) -> None:
        while self._stamps:
            batch, self._stamps = self._stamps, []
            chosen: dict[tuple[str, str], list[int]] = {}
            for column, platform, update_id, _ in batch:
                chosen.setdefault((column, platform), []).append(update_id)
            try:
                now = utcnow()
                stamped: set[tuple[str, str, int]] = set()
                async with self._write() as s:
                    for (column, platform), ids in chosen.items():
                        where = [InboxEntry.platform == platform, InboxEntry.update_id.in_(ids)]
                        if column == "taken_at":  # claimed once, whichever worker asks first
                            where.append(InboxEntry.taken_at.is_(None))
                        got = await s.scalars(
                            update(InboxEntry)
                            .where(*where)
                            .values({column: now})
                            .returning(InboxEntry.update_id)
                        )
                        stamped |= {(column, platform, int(u)) for u in got}
                    await s.commit()
            except Exception as exc:  # every waiting caller hears it, as from its own write
                for *_, waiting in batch:
                    if not waiting.done():
                        waiting.set_exception(exc)
            else:
                for column, platform, update_id, waiting in batch:
                    if not waiting.done():
                        waiting.set_result((column, platform, update_id) in stamped)

    async def take(self, platform: str, update_id: int) -> bool:
        """Handling began: from here a turn may be stored, so a restart must not replay it.
        False when it was taken already (a second delivery, or another worker has it)."""
        return await self._stamp("taken_at", platform, update_id)

    async def done(self, platform: str, update_id: int) -> None:
        """Handled (answered, ignored, or explained after a restart)."""
        await self._stamp("done_at", platform, update_id)

    async def unfinished(self, platform: str) -> list[Unfinished]:
        """What a previous run kept and did not finish, oldest first."""
        async with self._sessions() as s:
            rows = await s.execute(
                select(
                    InboxEntry.update_id,
                    InboxEntry.payload,
                    InboxEntry.taken_at,
                    InboxEntry.sender,
                )
                .where(InboxEntry.platform == platform, InboxEntry.done_at.is_(None))
                .order_by(InboxEntry.update_id)
            )
            return [Unfinished(int(u), str(p), t is not None, w) for u, p, t, w in rows]

    async def earlier(self, platform: str, sender: str, update_id: int) -> list[Unfinished]:
        """This sender's unfinished updates that arrived before `update_id`, oldest first."""
        async with self._sessions() as s:
            rows = await s.execute(
                select(InboxEntry.update_id, InboxEntry.payload, InboxEntry.taken_at)
                .where(
                    InboxEntry.platform == platform,
                    InboxEntry.sender == sender,
                    InboxEntry.done_at.is_(None),
                    InboxEntry.update_id < update_id,
                )
                .order_by(InboxEntry.update_id)
            )
            return [Unfinished(int(u), str(p), t is not None) for u, p, t in rows]

    async def prune(self, platform: str, before: datetime) -> int:
        """Forget finished updates older than `before`."""
        async with self._write() as s:
            gone = await s.execute(
                delete(InboxEntry).where(
                    InboxEntry.platform == platform,
                    InboxEntry.done_at.is_not(None),
                    InboxEntry.done_at < before,
                )
            )
            await s.commit()
            return int(getattr(gone, "rowcount", 0) or 0)
