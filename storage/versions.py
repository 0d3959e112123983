"""Versions of a reply (regenerate, swipe): every one kept, the turn showing the chosen one."""

from __future__ import annotations

from sqlalchemy import Insert, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
from storage.keys import OwnerKey
from storage.models import ReplyVersion, Turn, UsageLog, utcnow
from storage.turns import TurnRecord, _owned, _turn  # the turn log's own row helpers


async def _reply(s: AsyncSession, owner: OwnerKey, reply_id: int) -> Turn:
    """This owner's reply `reply_id` (LookupError if it is not one)."""
    row = await s.scalar(select(Turn).where(_owned(owner), Turn.id == reply_id))
    if row is None or row.role != "assistant":
        raise LookupError(reply_id)
    return row


def _usage(
    owner: OwnerKey, row: Turn, persona_name: str, model: str, prompt: int, completion: int
) -> Insert:
    """The usage row of one more model call for this reply."""
    return insert(UsageLog).values(
        user_id=owner.user_id,
        persona_id=owner.persona_id,
        space_id=row.space_id,
        persona_name=persona_name,
        model=model,
        prompt_tokens=prompt,
        completion_tokens=completion,
        created_at=utcnow(),
    )


class ReplyVersions:
    """Reads and writes a reply's versions; every call is keyed by the owner."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def last_exchange(
        self, owner: OwnerKey, space_id: int, chat: int
    ) -> tuple[TurnRecord, TurnRecord] | None:
        """(message, reply) when this owner's latest turn here, in chat `chat`, is a reply
        to a message."""
        async with self._sessions() as s:
            rows = list(
                await s.scalars(
                    select(Turn)
                    .where(_owned(owner), Turn.space_id == space_id, Turn.chat_id == chat)
                    .order_by(Turn.id.desc())
                    .limit(2)
                )
            )
        if len(rows) < 2 or rows[0].role != "assistant" or rows[1].role != "user":
            return None
        return _turn(rows[1]), _turn(rows[0])

    async def add(
        self,
        owner: OwnerKey,
        reply_id: int,
        content: str,
        *,
        model: str,
        persona_name: str,
        prompt_tokens: int,
        completion_tokens: int,
        status: str = "done",
    ) -> TurnRecord:
        """Keep a new version of this reply and show it; its usage is counted like any reply."""
        now = utcnow()
        async with self._write() as s:
            row = await _reply(s, owner, reply_id)
            if row.versions == 1:  # the first version lived only in the turn until now
                await s.execute(
                    insert(ReplyVersion).values(
                        turn_id=row.id,
                        n=1,
                        content=row.content,
                        status=row.status,
                        model=row.model,
                        created_at=row.created_at,
                    )
                )
            n = row.versions + 1
            await s.execute(
                insert(ReplyVersion).values(
                    turn_id=row.id,
                    n=n,
                    content=content,
                    status=status,
                    model=model,
                    created_at=now,
                )
            )
            await s.execute(
                update(Turn)
                .where(Turn.id == row.id)
                .values(content=content, status=status, model=model, version=n, versions=n)
            )
            await s.execute(
                _usage(owner, row, persona_name, model, prompt_tokens, completion_tokens)
            )
            await s.commit()
            await s.refresh(row)
            return _turn(row)

    async def extend(
        self,
        owner: OwnerKey,
        reply_id: int,
        more: str,
        *,
        model: str,
        persona_name: str,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> TurnRecord:
        """Add `more` to the end of this reply (the version shown, when it has several); the
        call's usage is counted like any reply's."""
        async with self._write() as s:
            row = await _reply(s, owner, reply_id)
            row.content += more
            row.status = "done"
            if row.versions > 1:
                await s.execute(
                    update(ReplyVersion)
                    .where(ReplyVersion.turn_id == row.id, ReplyVersion.n == row.version)
                    .values(content=row.content, status="done")
                )
            await s.execute(
                _usage(owner, row, persona_name, model, prompt_tokens, completion_tokens)
            )
            await s.commit()
            return _turn(row)

    async def show(self, owner: OwnerKey, reply_id: int, n: int) -> TurnRecord | None:
        """Show version `n` of this reply (the history reads it from then on); None if this
        owner's reply has no such version."""
        async with self._write() as s:
            row = await s.scalar(select(Turn).where(_owned(owner), Turn.id == reply_id))
            if row is None:
                return None
            version = await s.scalar(
                select(ReplyVersion).where(ReplyVersion.turn_id == row.id, ReplyVersion.n == n)
            )
            if version is None:
                return None
            row.content, row.status, row.version = version.content, version.status, n
            await s.commit()
            return _turn(row)
