"""Access rules: who and where may use the bot, per space and per platform."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, select

from storage.community_models import AccessRule
from storage.db import Database


@dataclass(frozen=True)
class Rule:
    """One entry of an access list."""

    kind: str  # user | role | channel
    ref: str
    mode: str  # allow | block


class AccessRepo:
    """Allow and block entries by scope ("space:<id>", or "global:<platform>")."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def rules(self, scope: str) -> list[Rule]:
        """Every entry of one scope, users first."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(AccessRule)
                .where(AccessRule.scope == scope)
                .order_by(AccessRule.kind.desc(), AccessRule.mode, AccessRule.ref)
            )
            return [Rule(r.kind, r.ref, r.mode) for r in rows]

    async def put(self, scope: str, kind: str, ref: str, mode: str) -> str | None:
        """Allow or block `ref`; returns the mode it had before (None: it was not listed)."""
        async with self._write() as s:
            row = await s.get(AccessRule, (scope, kind, ref))
            before = None if row is None else row.mode
            if row is None:
                s.add(AccessRule(scope=scope, kind=kind, ref=ref, mode=mode))
            else:
                row.mode = mode
            await s.commit()
            return before

    async def remove(self, scope: str, kind: str, ref: str) -> bool:
        """Take `ref` off the list; False when it was not on it."""
        async with self._write() as s:
            gone = await s.execute(
                delete(AccessRule).where(
                    AccessRule.scope == scope, AccessRule.kind == kind, AccessRule.ref == ref
                )
            )
            await s.commit()
            return bool(gone.rowcount)  # type: ignore[attr-defined]
