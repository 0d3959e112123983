"""A (user, persona)'s chats: several transcripts, one memory; the chat chosen in each space."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from storage.db import Database
from storage.keys import OwnerKey
from storage.models import Chat, ChatChoice, Turn, utcnow
from storage.turns import _owned as said_by  # the turn log's own owner filter


@dataclass(frozen=True)
class ChatInfo:
    """One chat as /chat list shows it; `number` is its place among the owner's chats."""

    id: int
    number: int
    title: str
    messages: int
    created_at: datetime
    last_at: datetime | None
    opening: str  # its first message, for untitled chats

    @property
    def label(self) -> str:
        """The title, or what the chat began with."""
        if self.title:
            return self.title
        if not self.opening:
            return "(empty)"
        clip = self.opening if len(self.opening) <= 40 else self.opening[:39] + "…"
        return f"“{clip}”"


def _owned(owner: OwnerKey) -> Any:
    return (Chat.user_id == owner.user_id) & (Chat.persona_id == owner.persona_id)


class ChatRepo:
    """Chats and choices, always keyed by OwnerKey; the choice is read on every turn, so
    cached (the settings cache, dropped whole by every change here)."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write_settings
        self._new = db.write  # a first chat changes no cached answer
        self._cache = db.cache

    async def active(self, owner: OwnerKey, space_id: int) -> int:
        """The chat this owner talks in here: the one chosen here, else their first (made
        on their first message)."""
        return await self._cache.get(
            ("chat", owner.user_id, owner.persona_id, space_id),
            lambda: self._active(owner, space_id),
        )

    async def _active(self, owner: OwnerKey, space_id: int) -> int:
        async with self._sessions() as s:
            chosen = await s.scalar(
                select(ChatChoice.chat_id).where(
                    ChatChoice.user_id == owner.user_id,
                    ChatChoice.persona_id == owner.persona_id,
                    ChatChoice.space_id == space_id,
                )
            )
            if chosen is not None:
                return int(chosen)
            first = await s.scalar(select(func.min(Chat.id)).where(_owned(owner)))
        if first is not None:
            return int(first)
        async with self._new() as s:
            made = await s.scalar(
                insert(Chat)
                .values(user_id=owner.user_id, persona_id=owner.persona_id, created_at=utcnow())
                .returning(Chat.id)
            )
            await s.commit()
            return int(made or 0)

    async def all(self, owner: OwnerKey, in_space: int | None = None) -> list[ChatInfo]:
        """Every chat of this owner, oldest first, with its size, last activity and opening
        — counting only the turns said in `in_space`, when given (a group sees no DM text)."""
        mine = [said_by(owner)]
        if in_space is not None:
            mine.append(Turn.space_id == in_space)
        async with self._sessions() as s:
            chats = list(await s.scalars(select(Chat).where(_owned(owner)).order_by(Chat.id)))
            sizes = {
                int(c): (int(n), last)
                for c, n, last in await s.execute(
                    select(Turn.chat_id, func.count(), func.max(Turn.created_at))
                    .where(*mine)
                    .group_by(Turn.chat_id)
                )
                if c is not None
            }
            first_ids = select(func.min(Turn.id)).where(*mine, Turn.role == "user")
            openings = {
                int(c): str(text)
                for c, text in await s.execute(
                    select(Turn.chat_id, Turn.content).where(
                        Turn.id.in_(first_ids.group_by(Turn.chat_id))
                    )
                )
                if c is not None
            }
        return [
            ChatInfo(
                c.id,
                n,
                c.title,
                sizes.get(c.id, (0, None))[0],
                c.created_at,
                sizes.get(c.id, (0, None))[1],
                openings.get(c.id, ""),
            )
            for n, c in enumerate(chats, 1)
        ]

    async def create(self, owner: OwnerKey, space_id: int, title: str) -> int:
        """A new empty chat, chosen here."""
        async with self._write() as s:
            chat_id = int(
                await s.scalar(
                    insert(Chat)
                    .values(
                        user_id=owner.user_id,
                        persona_id=owner.persona_id,
                        title=title,
                        created_at=utcnow(),
                    )
                    .returning(Chat.id)
                )
                or 0
            )
            await s.commit()
        await self.choose(owner, space_id, chat_id)
        return chat_id

    async def choose(self, owner: OwnerKey, space_id: int, chat_id: int) -> None:
        """Talk in `chat_id` (one of this owner's) in this space from now on."""
        values = {
            "user_id": owner.user_id,
            "persona_id": owner.persona_id,
            "space_id": space_id,
            "chat_id": chat_id,
        }
        async with self._write() as s:  # writers take turns: update, else insert is safe
            done = await s.execute(
                update(ChatChoice)
                .where(
                    ChatChoice.user_id == owner.user_id,
                    ChatChoice.persona_id == owner.persona_id,
                    ChatChoice.space_id == space_id,
                )
                .values(chat_id=chat_id)
            )
            if not getattr(done, "rowcount", 0):
                await s.execute(insert(ChatChoice).values(**values))
            await s.commit()

    async def rename(self, owner: OwnerKey, chat_id: int, title: str) -> bool:
        """Give one of this owner's chats a title; False if it is not theirs."""
        async with self._write() as s:
            done = await s.execute(
                update(Chat).where(_owned(owner), Chat.id == chat_id).values(title=title)
            )
            await s.commit()
            return bool(getattr(done, "rowcount", 0))

    async def turn_ids(self, owner: OwnerKey, chat_id: int) -> list[int]:
        """The ids of every message in one of this owner's chats."""
        async with self._sessions() as s:
            rows = await s.scalars(select(Turn.id).where(said_by(owner), Turn.chat_id == chat_id))
            return [int(i) for i in rows]

    async def delete(self, owner: OwnerKey, chat_id: int) -> bool:
        """Delete one of this owner's chats with its transcript, summaries and choices."""
        async with self._write() as s:
            await s.execute(delete(Turn).where(said_by(owner), Turn.chat_id == chat_id))
            done = await s.execute(delete(Chat).where(_owned(owner), Chat.id == chat_id))
            await s.commit()
            return bool(getattr(done, "rowcount", 0))

    async def wipe(self, owner: OwnerKey) -> None:
        """Delete every chat of this owner (their turns go too); the next message starts a
        fresh first chat."""
        async with self._write() as s:
            await s.execute(delete(Chat).where(_owned(owner)))
            await s.commit()
