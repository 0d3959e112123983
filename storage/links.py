"""Linked accounts (/me link): one-time codes, kept as hashes, and which account acts as which."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update

from storage.community_models import LinkCode
from storage.db import Database
from storage.models import User


class LinkRepo:
    """Codes and links; an account with `linked_to` set acts as that user."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def put_code(self, user_id: int, code_hash: str, expires: datetime) -> None:
        """The account's one pending code (a new one replaces the old)."""
        async with self._write() as s:
            await s.execute(delete(LinkCode).where(LinkCode.user_id == user_id))
            s.add(LinkCode(code_hash=code_hash, user_id=user_id, expires_at=expires))
            await s.commit()

    async def code_owner(self, code_hash: str, now: datetime) -> int | None:
        """The account that showed this code, while it is valid."""
        async with self._sessions() as s:
            row = await s.get(LinkCode, code_hash)
            return row.user_id if row is not None and row.expires_at > now else None

    async def take_code(self, code_hash: str, now: datetime) -> int | None:
        """Use the code up: its account, or None (unknown, expired or used meanwhile)."""
        async with self._write() as s:
            row = await s.get(LinkCode, code_hash)
            if row is None:
                return None
            owner, valid = row.user_id, row.expires_at > now
            await s.delete(row)
            await s.commit()
            return owner if valid else None

    async def root(self, user_id: int) -> int:
        """The user an account acts as (itself, unless linked)."""
        async with self._sessions() as s:
            linked = await s.scalar(select(User.linked_to).where(User.id == user_id))
            return int(linked or user_id)

    async def link(self, account_id: int, root_id: int) -> list[int]:
        """Make `account_id`, and every account that acted as it, act as `root_id`; the ids
        moved."""
        async with self._write() as s:
            moved = list(
                await s.scalars(
                    select(User.id).where(or_(User.id == account_id, User.linked_to == account_id))
                )
            )
            await s.execute(update(User).where(User.id.in_(moved)).values(linked_to=root_id))
            await s.commit()
            return moved

    async def unlink(self, account_id: int) -> list[int]:
        """Split this account from the one it acts as — or, if others act as it, split them
        from it; the ids that act as themselves again."""
        async with self._write() as s:
            me = await s.get(User, account_id)
            if me is None:
                return []
            if me.linked_to is not None:
                moved = [account_id]
            else:
                moved = list(await s.scalars(select(User.id).where(User.linked_to == account_id)))
            await s.execute(update(User).where(User.id.in_(moved)).values(linked_to=None))
            await s.commit()
            return moved
