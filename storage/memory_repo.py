"""Memory items in SQL (the source of truth). Every method takes the OwnerKey."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update

from storage.db import Database
from storage.keys import OwnerKey
from storage.models import MemoryItem as Row


@dataclass(frozen=True)
class MemoryRecord:
    """One memory item as the service sees it."""

    id: int
    user_id: int
    persona_id: int
    kind: str
    text: str
    importance: float
    strength: float
    tier: str
    pinned: bool
    created_at: datetime
    last_recalled_at: datetime | None
    recall_count: int
    source_turn_id: int | None
    status: str = "active"
    superseded_by: int | None = None
    space_id: int | None = None  # the space it was formed in (None: unknown, older items)

    @property
    def owner(self) -> OwnerKey:
        """The (user, persona) pair this item belongs to."""
        return OwnerKey(self.user_id, self.persona_id)


def _record(r: Any) -> MemoryRecord:
    return MemoryRecord(
        r.id,
        r.user_id,
        r.persona_id,
        r.kind,
        r.text,
        r.importance,
        r.strength,
        r.tier,
        r.pinned,
        r.created_at,
        r.last_recalled_at,
        r.recall_count,
        r.source_turn_id,
        r.status,
        r.superseded_by,
        r.space_id,
    )


def _new(
    owner: OwnerKey,
    kind: str,
    text: str,
    importance: float,
    created_at: datetime,
    source_turn_id: int | None = None,
    space_id: int | None = None,
) -> dict[str, Any]:
    """The column values of a new, active, fresh memory item."""
    return {
        "user_id": owner.user_id,
        "persona_id": owner.persona_id,
        "kind": kind,
        "text": text,
        "importance": importance,
        "strength": 1.0,
        "tier": "hot",
        "pinned": False,
        "status": "active",
        "created_at": created_at,
        "recall_count": 0,
        "source_turn_id": source_turn_id,
        "space_id": space_id,
    }


def _mine(owner: OwnerKey) -> Any:
    return (Row.user_id == owner.user_id) & (Row.persona_id == owner.persona_id)


class MemoryRepo:
    """Reads and writes memory_items; no method reads without an owner, except reindexing."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._connect = db.engine.connect
        self._write = db.write

    async def add(
        self,
        owner: OwnerKey,
        kind: str,
        text: str,
        *,
        importance: float,
        created_at: datetime,
        source_turn_id: int | None = None,
        space_id: int | None = None,
    ) -> MemoryRecord:
        """Insert one active item, formed in `space_id`."""
        values = _new(owner, kind, text, importance, created_at, source_turn_id, space_id)
        async with self._write() as s:
            row = await s.scalar(insert(Row).values(**values).returning(Row))
            await s.commit()
            assert row is not None
            return _record(row)

    async def add_many(
        self, owner: OwnerKey, kind: str, items: Sequence[tuple[str, datetime, float]]
    ) -> list[MemoryRecord]:
        """Insert many active items (text, formed at, importance) in one statement, in order."""
        if not items:
            return []
        values = [_new(owner, kind, text, importance, at) for text, at, importance in items]
        async with self._write() as s:
            rows = await s.scalars(
                insert(Row).returning(Row, sort_by_parameter_order=True), values
            )
            out = [_record(r) for r in rows]
            await s.commit()
            return out

    async def get(self, owner: OwnerKey, ids: Sequence[int]) -> list[MemoryRecord]:
        """Active items of this owner among `ids` (others' ids are silently not found)."""
        rows, _ = await self.get_with_next(owner, ids, ())
        return rows

    async def get_with_next(
        self, owner: OwnerKey, ids: Sequence[int], next_of: Sequence[int]
    ) -> tuple[list[MemoryRecord], dict[int, int]]:
        """Active items among `ids`, plus this owner's next active item after each of
        `next_of` (a question's reply), in one query; returns the items and {id: next id}."""
        if not ids and not next_of:
            return [], {}
        # Archived items have faded out of recall (they are still exported).
        recallable = (_mine(owner), Row.status == "active", Row.tier != "archived")
        following = {
            i: select(func.min(Row.id)).where(*recallable, Row.id > i).scalar_subquery()
            for i in next_of
        }
        wanted: Any = Row.id.in_(list(ids))
        if following:
            wanted = wanted | Row.id.in_(list(following.values()))
        # Plain rows, not ORM objects: this read is on every recall's critical path, and the
        # ORM's identity map and session cost ~0.8 ms of the ~2 ms it took.
        async with self._connect() as conn:
            result = await conn.execute(select(Row.__table__).where(*recallable, wanted))
            rows = [_record(r) for r in result]
        if not next_of:
            return rows, {}
        # Which fetched row follows which asked id: the smallest fetched id above it.
        have = sorted(r.id for r in rows)
        at = {i: bisect_right(have, i) for i in next_of}
        return rows, {i: have[n] for i, n in at.items() if n < len(have)}

    async def page(
        self,
        owner: OwnerKey,
        *,
        kind: str | None = None,
        limit: int = 20,
        offset: int = 0,
        status: str = "active",
    ) -> list[MemoryRecord]:
        """Newest first."""
        query = select(Row).where(_mine(owner), Row.status == status)
        if kind:
            query = query.where(Row.kind == kind)
        async with self._sessions() as s:
            rows = await s.scalars(query.order_by(Row.id.desc()).limit(limit).offset(offset))
            return [_record(r) for r in rows]

    async def count(self, owner: OwnerKey, kind: str | None = None) -> int:
        """Active items of this owner."""
        query = select(func.count()).where(_mine(owner), Row.status == "active")
        if kind:
            query = query.where(Row.kind == kind)
        async with self._sessions() as s:
            return int(await s.scalar(query) or 0)

    async def delete(self, owner: OwnerKey, item_id: int) -> bool:
        """Remove one item (and its superseded history); False if not this owner's."""
        async with self._write() as s:
            result = await s.execute(
                delete(Row).where(
                    _mine(owner), (Row.id == item_id) | (Row.superseded_by == item_id)
                )
            )
            await s.commit()
            return bool(getattr(result, "rowcount", 0))

    async def delete_from_turns(self, owner: OwnerKey, turn_ids: Sequence[int]) -> list[int]:
        """Remove every item of this owner formed from these turns (episodes, facts, their
        history); returns the ids removed."""
        if not turn_ids:
            return []
        async with self._write() as s:
            gone = list(
                await s.scalars(
                    delete(Row)
                    .where(_mine(owner), Row.source_turn_id.in_(turn_ids))
                    .returning(Row.id)
                )
            )
            await s.commit()
            return [int(i) for i in gone]

    async def wipe(self, owner: OwnerKey) -> int:
        """Remove every item of this owner."""
        async with self._write() as s:
            result = await s.execute(delete(Row).where(_mine(owner)))
            await s.commit()
            return int(getattr(result, "rowcount", 0) or 0)

    async def set_pinned(self, owner: OwnerKey, item_id: int, pinned: bool) -> bool:
        """Pin or unpin; False if not this owner's."""
        async with self._write() as s:
            result = await s.execute(
                update(Row).where(_mine(owner), Row.id == item_id).values(pinned=pinned)
            )
            await s.commit()
            return bool(getattr(result, "rowcount", 0))

    async def recalled(self, touched: Sequence[tuple[OwnerKey, Sequence[int], datetime]]) -> None:
        """MemoryBank's strengthening: recall refreshes time, count and strength; many
        recalls' worth (owner, ids, when) as one statement with many parameter sets."""
        params = [
            {"mid": int(i), "uid": owner.user_id, "pid": owner.persona_id, "now": now}
            for owner, ids, now in touched
            for i in ids
        ]
        if not params:
            return
        table = cast(Table, Row.__table__)
        statement = (
            update(table)
            .where(
                table.c.id == bindparam("mid"),
                table.c.user_id == bindparam("uid"),
                table.c.persona_id == bindparam("pid"),
            )
            .values(
                last_recalled_at=bindparam("now"),
                recall_count=table.c.recall_count + 1,
                strength=1.0,  # fresh again; each recall also slows the next fading
                tier="hot",
            )
        )
        async with self._write() as s:
            await s.execute(statement, params)
            await s.commit()

    async def set_status(self, owner: OwnerKey, item_id: int, status: str) -> None:
        """Take an item out of recall but keep it as history (e.g. "contradicted")."""
        async with self._write() as s:
            await s.execute(
                update(Row).where(_mine(owner), Row.id == item_id).values(status=status)
            )
            await s.commit()

    async def supersede(self, owner: OwnerKey, old_id: int, new_id: int) -> None:
        """Keep the old version as history, out of recall."""
        async with self._write() as s:
            await s.execute(
                update(Row)
                .where(_mine(owner), Row.id == old_id)
                .values(status="superseded", superseded_by=new_id)
            )
            await s.commit()

    async def stats(self, owner: OwnerKey) -> dict[str, Any]:
        """Counts by kind and tier, pinned count and average strength of active items."""
        active = (_mine(owner), Row.status == "active")
        async with self._sessions() as s:
            kinds = await s.execute(
                select(Row.kind, func.count()).where(*active).group_by(Row.kind)
            )
            tiers = await s.execute(
                select(Row.tier, func.count()).where(*active).group_by(Row.tier)
            )
            pinned = await s.scalar(select(func.count()).where(*active, Row.pinned.is_(True)))
            avg = await s.scalar(select(func.avg(Row.strength)).where(*active))
            return {
                "kinds": {k: int(n) for k, n in kinds},
                "tiers": {t: int(n) for t, n in tiers},
                "pinned": int(pinned or 0),
                "average_strength": float(avg or 0.0),
            }

    async def all_active(self, batch: int = 1000) -> AsyncIterator[list[MemoryRecord]]:
        """Every active item of every owner, in id order: only for rebuilding the index."""
        last = 0
        while True:
            async with self._sessions() as s:
                rows = list(
                    await s.scalars(
                        select(Row)
                        .where(Row.status == "active", Row.tier != "archived", Row.id > last)
                        .order_by(Row.id)
                        .limit(batch)
                    )
                )
            if not rows:
                return
            last = rows[-1].id
            yield [_record(r) for r in rows]
