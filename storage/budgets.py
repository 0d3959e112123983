"""What budgets count: message buckets, use since a time, and per-space or per-user limits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, text

from storage.db import Database
from storage.models import BudgetOverride, RateBucket, UsageLog

# One statement takes a token if the refilled bucket holds one: atomic in SQLite (one writer)
# and in PostgreSQL (the row lock of ON CONFLICT), so processes sharing the database agree.
_TAKE = text(
    """
    INSERT INTO rate_buckets (key, tokens, at) VALUES (:key, :capacity - 1, :now)
    ON CONFLICT (key) DO UPDATE SET
        tokens = CASE WHEN rate_buckets.tokens + (:now - rate_buckets.at) * :rate > :capacity
                      THEN :capacity
                      ELSE rate_buckets.tokens + (:now - rate_buckets.at) * :rate END - 1,
        at = :now
    WHERE CASE WHEN rate_buckets.tokens + (:now - rate_buckets.at) * :rate > :capacity
               THEN :capacity
               ELSE rate_buckets.tokens + (:now - rate_buckets.at) * :rate END >= 1
    RETURNING tokens
    """
)

_TAKE_SQL = str(_TAKE)  # the same statement, for the driver itself (named :params)


class BudgetRepo:
    """Counting for budgets; every number comes from the database, so it survives restarts
    and holds across processes."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sessions = db.sessions
        self._write = db.write

    async def take(self, key: str, capacity: float, rate: float, now: float) -> float | None:
        """Take one token from bucket `key` (refilled at `rate` a second up to `capacity`):
        the tokens left, or None when it is empty (nothing is changed then)."""
        params = {"key": key, "capacity": capacity, "rate": rate, "now": now}
        done, row = self._db.try_now(_TAKE_SQL, params)  # SQLite, nobody writing: at once
        if done:
            return None if row is None else float(row[0])
        async with self._write() as s:
            left = await s.scalar(_TAKE, params)
            await s.commit()
            return None if left is None else float(left)

    async def bucket(self, key: str) -> tuple[float, float] | None:
        """A bucket's tokens and when they were counted, or None."""
        async with self._sessions() as s:
            row = await s.get(RateBucket, key)
            return None if row is None else (row.tokens, row.at)

    async def totals(
        self,
        day: datetime,
        month: datetime,
        *,
        user_id: int | None = None,
        space_id: int | None = None,
    ) -> tuple[int, int, int]:
        """In one indexed read, for a user or a space: tokens used today, tokens used this
        month, characters spoken today (`day` ≥ `month`)."""
        found = await self.totals_after(day, month, 0, user_id=user_id, space_id=space_id)
        return found[0], found[1], found[2]

    async def totals_after(
        self,
        day: datetime,
        month: datetime,
        after_id: int,
        *,
        user_id: int | None = None,
        space_id: int | None = None,
    ) -> tuple[int, int, int, int]:
        """The same totals over usage rows newer than `after_id` only, and the newest row's id
        (`after_id` when there is none): what was spent since an earlier read."""
        tokens = UsageLog.prompt_tokens + UsageLog.completion_tokens
        today = UsageLog.created_at >= day
        who = UsageLog.user_id == user_id if user_id is not None else UsageLog.space_id == space_id

        def total(value: Any, when: Any = None) -> Any:
            picked = value if when is None else case((when, value), else_=0)
            return func.coalesce(func.sum(picked), 0)

        async with self._sessions() as s:
            row = (
                await s.execute(
                    select(
                        total(tokens, today),
                        total(tokens),
                        total(UsageLog.characters, today),
                        func.coalesce(func.max(UsageLog.id), after_id),
                    ).where(who, UsageLog.created_at >= month, UsageLog.id > after_id)
                )
            ).one()
            return int(row[0]), int(row[1]), int(row[2]), int(row[3])

    async def all_overrides(self) -> dict[str, dict[str, int]]:
        """Every limit set for a space or a user: scope → key → value (a small table)."""
        out: dict[str, dict[str, int]] = {}
        async with self._sessions() as s:
            for row in await s.scalars(select(BudgetOverride)):
                out.setdefault(row.scope, {})[row.key] = row.value
        return out

    async def set(self, scope: str, key: str, value: int) -> None:
        """Set one limit for a scope."""
        async with self._write() as s:
            await s.merge(BudgetOverride(scope=scope, key=key, value=value))
            await s.commit()

    async def reset(self, scope: str, key: str | None = None) -> int:
        """Drop one limit (or all) of a scope, back to config's; returns how many."""
        where = [BudgetOverride.scope == scope]
        if key is not None:
            where.append(BudgetOverride.key == key)
        async with self._write() as s:
            gone = await s.execute(delete(BudgetOverride).where(*where))
            await s.commit()
            return int(gone.rowcount or 0)  # type: ignore[attr-defined]
