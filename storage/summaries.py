"""Rolling chat summaries: one per (chat, where it is read), keyed through the chat's owner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from storage.db import Database
from storage.keys import OwnerKey
from storage.models import Chat, ChatSummary, utcnow

EVERYWHERE = 0  # the summary of all a chat's turns, read where every turn may be (a DM)


@dataclass(frozen=True)
class SummaryRecord:
    """What a chat's older turns came to, and how far it reaches."""

    chat_id: int
    space_id: int  # EVERYWHERE, or the group whose turns alone it covers
    text: str
    through_turn_id: int
    turns: int
    memory_id: int | None
    updated_at: datetime


def _record(row: ChatSummary) -> SummaryRecord:
    return SummaryRecord(
        row.chat_id,
        row.space_id,
        row.text,
        row.through_turn_id,
        row.turns,
        row.memory_id,
        row.updated_at,
    )


def _owns(owner: OwnerKey) -> Any:
    """Summaries of this owner's chats only."""
    chats = select(Chat.id).where(
        Chat.user_id == owner.user_id, Chat.persona_id == owner.persona_id
    )
    return ChatSummary.chat_id.in_(chats)


class SummaryRepo:
    """Reads and replaces summaries; every call names the owner of the chat."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def get(self, owner: OwnerKey, chat_id: int, space_id: int) -> SummaryRecord | None:
        """The summary of this owner's chat for `space_id` (EVERYWHERE or a group)."""
        async with self._sessions() as s:
            row = await s.scalar(
                select(ChatSummary).where(
                    _owns(owner), ChatSummary.chat_id == chat_id, ChatSummary.space_id == space_id
                )
            )
            return _record(row) if row is not None else None

    async def put(
        self,
        owner: OwnerKey,
        chat_id: int,
        space_id: int,
        text: str,
        through_turn_id: int,
        turns: int,
        memory_id: int | None,
    ) -> SummaryRecord | None:
        """Replace the summary (None if the chat is no longer this owner's: deleted)."""
        async with self._write() as s:
            mine = await s.scalar(
                select(Chat.id).where(
                    Chat.id == chat_id,
                    Chat.user_id == owner.user_id,
                    Chat.persona_id == owner.persona_id,
                )
            )
            if mine is None:
                return None
            row = await s.scalar(
                select(ChatSummary).where(
                    ChatSummary.chat_id == chat_id, ChatSummary.space_id == space_id
                )
            )
            if row is None:
                row = ChatSummary(chat_id=chat_id, space_id=space_id)
                s.add(row)
            row.text, row.through_turn_id, row.turns = text, through_turn_id, turns
            row.memory_id, row.updated_at = memory_id, utcnow()
            await s.commit()
            return _record(row)

    async def all(self, owner: OwnerKey) -> list[SummaryRecord]:
        """Every summary of this owner's chats."""
        async with self._sessions() as s:
            rows = await s.scalars(select(ChatSummary).where(_owns(owner)))
            return [_record(r) for r in rows]

    async def drop(self, owner: OwnerKey, reaching: int) -> list[SummaryRecord]:
        """Delete this owner's summaries that cover turn `reaching` or later (a turn they
        may hold was forgotten); returns them, so their recall copies go too."""
        async with self._write() as s:
            rows = list(
                await s.scalars(
                    select(ChatSummary).where(
                        _owns(owner), ChatSummary.through_turn_id >= reaching
                    )
                )
            )
            if rows:
                await s.execute(
                    delete(ChatSummary).where(ChatSummary.id.in_([r.id for r in rows]))
                )
                await s.commit()
            return [_record(r) for r in rows]

    async def drop_chat(self, owner: OwnerKey, chat_id: int, space_id: int) -> None:
        """Delete the summary of this owner's chat for `space_id`."""
        async with self._write() as s:
            await s.execute(
                delete(ChatSummary).where(
                    _owns(owner), ChatSummary.chat_id == chat_id, ChatSummary.space_id == space_id
                )
            )
            await s.commit()
