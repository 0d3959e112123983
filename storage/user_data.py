"""Everything the database holds about one person (all their linked accounts): read out for
an export, and erased — every row keyed by them, their own personas with all they hold, their
DM places and kept platform updates — keeping only anonymous usage totals."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, or_, select, update

from storage import community_models  # noqa: F401  (its tables join Base.metadata)
from storage.db import Database
from storage.identities import Identities
from storage.models import (
    Base,
    BudgetOverride,
    Chat,
    ChatSummary,
    InboxEntry,
    PersonaRow,
    RateBucket,
    ReplyVersion,
    Space,
    Turn,
    UsageLog,
    User,
)

ANONYMOUS = ("erased", "anonymous")  # the account anonymous usage totals are kept under
# Rows about a persona that hold no user's words: exported with the owner's personas.
PERSONA_TABLES = ("documents", "persona_versions")
# Data of the place, not of the person: access rules (an erasure must not lift a block).
KEPT = {"access_rules"}


@dataclass(frozen=True)
class Account:
    """One platform account of the person."""

    user_id: int
    platform: str
    ref: str


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"bytes": len(value)}
    return value


def mentions(payload: str, refs: Iterable[str]) -> bool:
    """Does a kept platform update come from one of these accounts (its `from` or `user`)?"""
    wanted = set(refs)

    def walk(node: Any) -> bool:
        if isinstance(node, dict):
            for key, value in node.items():
                sender = key in ("from", "user") and isinstance(value, dict)
                if sender and str(value.get("id")) in wanted:
                    return True
                if walk(value):
                    return True
        elif isinstance(node, list):
            return any(walk(v) for v in node)
        return False

    try:
        return walk(json.loads(payload))
    except ValueError:
        return False


class UserDataRepo:
    """Reads and erases one person's rows, table by table (new tables keyed by `user_id` are
    covered without a change here)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._sessions = db.sessions
        self._write = db.write_settings  # personas and choices go: the read cache too

    async def accounts(self, user_id: int) -> list[Account]:
        """The person: this account, the one it is linked to, and every account linked."""
        async with self._sessions() as s:
            me = await s.get(User, user_id)
            if me is None:
                return []
            root = me.linked_to or me.id
            rows = await s.scalars(
                select(User).where(or_(User.id == root, User.linked_to == root)).order_by(User.id)
            )
            return [Account(u.id, u.platform, u.platform_user_id) for u in rows]

    async def find(self, platform: str, ref: str) -> int | None:
        """An account's id, without creating it."""
        async with self._sessions() as s:
            return await s.scalar(
                select(User.id).where(User.platform == platform, User.platform_user_id == ref)
            )

    async def personas(self, user_ids: Sequence[int]) -> list[PersonaRow]:
        """The personas these accounts own."""
        async with self._sessions() as s:
            query = select(PersonaRow).where(PersonaRow.owner_id.in_(user_ids))
            return list(await s.scalars(query.order_by(PersonaRow.id)))

    def _tables(self) -> list[Table]:
        return [t for t in Base.metadata.sorted_tables if t.name not in KEPT]

    async def rows(self, accounts: Sequence[Account]) -> dict[str, list[dict[str, Any]]]:
        """Every row about them, by table, as JSON-ready dicts."""
        ids = [a.user_id for a in accounts]
        out: dict[str, list[dict[str, Any]]] = {}
        async with self._sessions() as s:
            owned = list(
                await s.scalars(select(PersonaRow.id).where(PersonaRow.owner_id.in_(ids)))
            )
            turns = select(Turn.id).where(Turn.user_id.in_(ids))
            chats = select(Chat.id).where(Chat.user_id.in_(ids))
            for table in self._tables():
                c = table.c
                if table.name == "users":
                    where = c.id.in_(ids)
                elif table.name == "personas":
                    where = c.owner_id.in_(ids)
                elif table.name == "persona_reports":
                    where = c.reporter_id.in_(ids)
                elif "user_id" in c:
                    where = c.user_id.in_(ids)
                elif table.name in PERSONA_TABLES:
                    where = c.persona_id.in_(owned)
                elif table.name == ReplyVersion.__tablename__:
                    where = c.turn_id.in_(turns)
                elif table.name == ChatSummary.__tablename__:
                    where = c.chat_id.in_(chats)
                elif table.name == "budget_overrides":
                    where = c.scope.in_([f"user:{i}" for i in ids])
                elif table.name == "rate_buckets":
                    where = c.key.in_(_buckets(ids))
                elif table.name == "spaces":
                    where = _dm_spaces(accounts)
                else:
                    continue
                found = (await s.execute(select(table).where(where))).mappings().all()
                if found:
                    out[table.name] = [{k: _plain(v) for k, v in r.items()} for r in found]
            kept = await s.execute(select(InboxEntry.update_id, InboxEntry.payload))
            updates = [json.loads(p) for _, p in kept.all() if mentions(p, _refs(accounts))]
            if updates:
                out["inbox"] = updates
        return out

    async def erase(self, accounts: Sequence[Account]) -> int:
        """Delete everything about them in one transaction; their usage rows stay, moved to
        the anonymous account with no persona named. Returns the rows deleted."""
        ids = [a.user_id for a in accounts]
        deleted = 0
        anonymous = await Identities(self._db).account(*ANONYMOUS)  # erased people's usage
        async with self._write() as s:
            owned = select(PersonaRow.id).where(PersonaRow.owner_id.in_(ids))
            await s.execute(
                update(UsageLog)
                .where(or_(UsageLog.user_id.in_(ids), UsageLog.persona_id.in_(owned)))
                .values(user_id=anonymous, persona_id=None, persona_name="")
            )
            for statement in (
                delete(Space).where(_dm_spaces(accounts)),
                delete(PersonaRow).where(PersonaRow.owner_id.in_(ids)),
                delete(BudgetOverride).where(BudgetOverride.scope.in_([f"user:{i}" for i in ids])),
                delete(RateBucket).where(RateBucket.key.in_(_buckets(ids))),
            ):
                deleted += int((await s.execute(statement)).rowcount or 0)  # type: ignore[attr-defined]
            for table in reversed(self._tables()):
                if "user_id" in table.c and table.name != "usage_log":
                    gone = await s.execute(delete(table).where(table.c.user_id.in_(ids)))
                    deleted += int(gone.rowcount or 0)  # type: ignore[attr-defined]
            await s.execute(update(User).where(User.linked_to.in_(ids)).values(linked_to=None))
            deleted += int((await s.execute(delete(User).where(User.id.in_(ids)))).rowcount or 0)  # type: ignore[attr-defined]
            kept = await s.execute(
                select(InboxEntry.platform, InboxEntry.update_id, InboxEntry.payload)
            )
            for platform, update_id, payload in kept.all():
                if mentions(payload, _refs(accounts, platform)):
                    await s.execute(
                        delete(InboxEntry).where(
                            InboxEntry.platform == platform, InboxEntry.update_id == update_id
                        )
                    )
                    deleted += 1
            await s.commit()
        await self._db.checkpoint()
        return deleted


def _buckets(ids: Sequence[int]) -> list[str]:
    """Their rate buckets: messages a minute, and link codes tried."""
    return [f"msg:user:{i}" for i in ids] + [f"link:{i}" for i in ids]


def _refs(accounts: Sequence[Account], platform: str | None = None) -> list[str]:
    return [a.ref for a in accounts if platform is None or a.platform == platform]


def _dm_spaces(accounts: Sequence[Account]) -> Any:
    """Their DM places: Discord's "dm:<id>", Telegram's private chat (its id is theirs)."""
    return or_(
        *[
            (Space.platform == a.platform)
            & (Space.kind == "dm")
            & Space.platform_space_id.in_([a.ref, f"dm:{a.ref}"])
            for a in accounts
        ]
    )
