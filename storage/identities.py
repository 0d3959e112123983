"""Users and spaces: platform accounts and chat places, created on first sight."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import Space, User


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

    async def address(self, user_id: int) -> tuple[str, str] | None:
        """(platform, platform user id) of a user, to reach them directly."""
        async with self._sessions() as s:
            user = await s.get(User, user_id)
            return (user.platform, user.platform_user_id) if user is not None else None

    async def user(self, platform: str, ref: str, display_name: str = "") -> int:
        """The user this platform account acts as (the one it is linked to, else its own id,
        created if new)."""
        async with self._sessions() as s:
            found = await s.scalar(
                select(func.coalesce(User.linked_to, User.id)).where(
                    User.platform == platform, User.platform_user_id == ref
                )
            )
        if found is not None:
            return int(found)
        return await self.account(platform, ref, display_name)  # new: linked to nobody

    async def account(self, platform: str, ref: str, display_name: str = "") -> int:
        """This platform account's own id, created if new."""
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
