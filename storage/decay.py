"""Memory decay: strength fades with time since last recall; recall slows the next fading.

Every function gives 1.0 at the moment of the last recall and 0.5 after the effective half-life,
which grows by one base half-life per recall (MemoryBank: stability rises with each recall):

    H = half_life_days × (1 + recall_count),  t = days since the last recall (or creation)
    exponential   s = 0.5 ** (t / H)
    linear        s = max(0, 1 − t / (2H))
    logarithmic   s = max(0, 1 − log2(1 + t / H) / 2)

Strength is recomputed from timestamps, never multiplied step by step, so a run repeated (or
resumed after a crash) lands on the same values. Tiers follow strength: hot, warm, cold, and
archived below the floor; archived items leave recall and the vector index but stay in SQL
(and exports) until `retention_days` says otherwise. Pinned and important items are exempt.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import (
    DateTime,
    Float,
    and_,
    case,
    cast,
    delete,
    func,
    literal,
    select,
    true,
    update,
)

from personas.errors import BadInput
from personas.model import parse_decay
from storage.db import Database
from storage.models import MemoryItem, PersonaRow
from storage.vectors import VectorStore

log = logging.getLogger(__name__)


class DecayRules(Protocol):
    """The decay settings (config.yaml → memory.decay) as this module reads them."""

    @property
    def function(self) -> str: ...
    @property
    def half_life_days(self) -> float: ...
    @property
    def exempt_importance(self) -> float: ...
    @property
    def warm_below(self) -> float: ...
    @property
    def cold_below(self) -> float: ...
    @property
    def archive_below(self) -> float: ...
    @property
    def retention_days(self) -> int: ...
    @property
    def batch(self) -> int: ...


def strength(function: str, days: float, half_life: float, recalls: int = 0) -> float:
    """The reference formula (the SQL below computes the same)."""
    h = half_life * (1 + recalls)
    t = max(0.0, days)
    if function == "exponential":
        return float(0.5 ** (t / h))
    if function == "linear":
        return max(0.0, 1 - t / (2 * h))
    if function == "logarithmic":
        return max(0.0, 1 - math.log2(1 + t / h) / 2)
    raise ValueError(function)


def _sql_strength(function: str, half_life: float, now: datetime, dialect: str) -> Any:
    """The formula in SQL: SQLite counts days with julianday and takes a scalar max;
    PostgreSQL subtracts timestamps (epoch seconds) and takes greatest."""
    since = func.coalesce(MemoryItem.last_recalled_at, MemoryItem.created_at)
    at = literal(now, DateTime)
    if dialect == "postgresql":
        larger: Any = func.greatest
        elapsed = cast(func.extract("epoch", at - since), Float) / 86400.0
    else:
        larger = func.max
        elapsed = func.julianday(at) - func.julianday(since)
    days = larger(0.0, elapsed)
    h = literal(half_life, Float) * (1 + MemoryItem.recall_count)
    if function == "exponential":
        return func.power(0.5, days / h)
    if function == "linear":
        return larger(0.0, 1 - days / (2 * h))
    return larger(0.0, 1 - func.ln(1 + days / h) / (2 * math.log(2)))


@dataclass
class DecayResult:
    """What one run changed."""

    updated: int = 0
    archived: int = 0
    deleted: int = 0


class Decay:
    """The decay job: set-wise SQL per decay setting, then batched index deletions."""

    def __init__(self, db: Database, vectors: VectorStore | None, config: DecayRules) -> None:
        self.db = db
        self.vectors = vectors
        self.config = config

    async def _plans(self) -> list[tuple[str, float, Any]]:
        """(function, half-life, persona filter): one per persona override, then the rest."""
        async with self.db.sessions() as s:
            rows = (await s.execute(select(PersonaRow.id, PersonaRow.decay))).all()
        overrides: dict[tuple[str, float], list[int]] = {}
        for persona_id, decay in rows:
            try:
                parsed = parse_decay(decay or "")
            except BadInput:
                log.warning("persona %s: invalid decay '%s'; using config", persona_id, decay)
                parsed = None
            if parsed is not None:
                overrides.setdefault(parsed, []).append(persona_id)
        plans: list[tuple[str, float, Any]] = [
            (fn, hl, MemoryItem.persona_id.in_(ids)) for (fn, hl), ids in overrides.items()
        ]
        overridden = [pid for ids in overrides.values() for pid in ids]
        rest = MemoryItem.persona_id.not_in(overridden) if overridden else true()
        plans.append((self.config.function, self.config.half_life_days, rest))
        return plans

    async def run(self, now: datetime, since: datetime | None = None) -> DecayResult:
        """Recompute strength and tiers at `now`; unindex items archived since `since`."""
        cfg = self.config
        result = DecayResult()
        for function, half_life, scope in await self._plans():
            new = _sql_strength(function, half_life, now, self.db.engine.dialect.name)
            tier = case(
                (new < cfg.archive_below, "archived"),
                (new < cfg.cold_below, "cold"),
                (new < cfg.warm_below, "warm"),
                else_="hot",
            )
            async with self.db.write() as s:
                changed = await s.execute(
                    update(MemoryItem)
                    .where(
                        scope,
                        MemoryItem.status == "active",
                        MemoryItem.tier != "archived",
                        MemoryItem.pinned.is_(False),
                        MemoryItem.importance < cfg.exempt_importance,
                    )
                    .values(
                        strength=new,
                        tier=tier,
                        archived_at=case(
                            (new < cfg.archive_below, literal(now, DateTime)), else_=None
                        ),
                    )
                    .execution_options(synchronize_session=False)
                )
                await s.commit()
                result.updated += int(getattr(changed, "rowcount", 0) or 0)
        result.archived = await self._unindex(since)
        if cfg.retention_days > 0:
            result.deleted = await self._forget_old(now - timedelta(days=cfg.retention_days))
        return result

    def _fading(self, function: str, half_life: float, now: datetime, days: int) -> Any:
        """Active, unexempt, unarchived items that will be archived within `days`."""
        cfg = self.config
        later = _sql_strength(
            function, half_life, now + timedelta(days=days), self.db.engine.dialect.name
        )
        return and_(
            MemoryItem.status == "active",
            MemoryItem.tier != "archived",
            MemoryItem.pinned.is_(False),
            MemoryItem.importance < cfg.exempt_importance,
            later < cfg.archive_below,
        )

    async def fading(
        self, user_id: int, persona_id: int, override: str, now: datetime, days: int = 7
    ) -> int:
        """How many of this (user, persona)'s memories fade out within `days`."""
        function, half_life = parse_decay(override) or (
            self.config.function,
            self.config.half_life_days,
        )
        async with self.db.sessions() as s:
            count = await s.scalar(
                select(func.count()).where(
                    MemoryItem.user_id == user_id,
                    MemoryItem.persona_id == persona_id,
                    self._fading(function, half_life, now, days),
                )
            )
            return int(count or 0)

    async def summary(self, now: datetime, days: int = 7) -> dict[str, Any]:
        """Memory health across everyone: pairs, tiers, average strength, soon fading."""
        active = MemoryItem.status == "active"
        async with self.db.sessions() as s:
            tiers = dict(
                (t, int(n))
                for t, n in await s.execute(
                    select(MemoryItem.tier, func.count()).where(active).group_by(MemoryItem.tier)
                )
            )
            pairs = await s.scalar(
                select(func.count()).select_from(
                    select(MemoryItem.user_id, MemoryItem.persona_id)
                    .where(active)
                    .distinct()
                    .subquery()
                )
            )
            average = await s.scalar(select(func.avg(MemoryItem.strength)).where(active))
        fading = 0
        for function, half_life, scope in await self._plans():
            async with self.db.sessions() as s:
                fading += int(
                    await s.scalar(
                        select(func.count()).where(
                            scope, self._fading(function, half_life, now, days)
                        )
                    )
                    or 0
                )
        return {
            "owners": int(pairs or 0),
            "items": sum(tiers.values()),
            "tiers": tiers,
            "average_strength": float(average or 0.0),
            "fading": fading,
        }

    async def _unindex(self, since: datetime | None) -> int:
        """Drop archived items from the vector index (again after a crash: deletes are safe)."""
        query = select(MemoryItem.id).where(MemoryItem.tier == "archived")
        if since is not None:
            query = query.where(MemoryItem.archived_at > since)  # later runs did theirs
        async with self.db.sessions() as s:
            ids = list(await s.scalars(query))
        if ids and self.vectors is not None:
            await self.vectors.delete_ids(ids, self.config.batch)
        return len(ids)

    async def _forget_old(self, before: datetime) -> int:
        """Retention: delete items archived before `before` (their vectors are gone already)."""
        async with self.db.write() as s:
            gone = await s.execute(
                delete(MemoryItem).where(
                    and_(MemoryItem.tier == "archived", MemoryItem.archived_at < before)
                )
            )
            await s.commit()
            return int(getattr(gone, "rowcount", 0) or 0)
