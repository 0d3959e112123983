"""The message log of each (user, persona): every read takes an OwnerKey."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import aliased

from storage.db import Database
from storage.keys import OwnerKey
from storage.models import PersonaRow, Space, Turn, UsageLog, utcnow
from storage.moods import stage_mood


@dataclass(frozen=True)
class TurnRecord:
    """One stored message."""

    id: int
    role: str
    content: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    created_at: datetime
    status: str = "done"  # "cut": the model's stream broke off; the text is partial
    space_id: int | None = None  # where it was said
    version: int = 1  # a regenerated reply: the version shown, of `versions`
    versions: int = 1
    chat_id: int | None = None
    heard_others: bool = False  # a reply whose prompt carried other people's channel lines


def _turn(row: Turn) -> TurnRecord:
    return TurnRecord(
        row.id,
        row.role,
        row.content,
        row.model,
        row.prompt_tokens,
        row.completion_tokens,
        row.created_at,
        row.status,
        row.space_id,
        row.version,
        row.versions,
        row.chat_id,
        bool(row.heard_others),
    )


def _owned(owner: OwnerKey) -> Any:
    return (Turn.user_id == owner.user_id) & (Turn.persona_id == owner.persona_id)


class TurnRepo:
    """The short-term chat log, always addressed by OwnerKey."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def add_user(
        self,
        owner: OwnerKey,
        space_id: int,
        content: str,
        *,
        mood: tuple[str, float, datetime] | None = None,
        chat_id: int | None = None,
        flags: str = "",
    ) -> int:
        """Store the user's message (before any model call), count the persona's use and
        store the mood (emotion, intensity, as of) the message moved it to: one write.
        `flags` marks what the message set off (e.g. "safety")."""
        # Core inserts, not ORM objects: this is the hot path of every turn.
        async with self._write() as s:
            if mood is not None:
                await stage_mood(s, owner, *mood)
            turn_id = await s.scalar(
                insert(Turn)
                .values(
                    user_id=owner.user_id,
                    persona_id=owner.persona_id,
                    space_id=space_id,
                    chat_id=chat_id,
                    role="user",
                    content=content,
                    created_at=utcnow(),
                    flags=flags,
                )
                .returning(Turn.id)
            )
            await s.execute(
                update(PersonaRow)
                .where(PersonaRow.id == owner.persona_id)
                .values(usage_count=PersonaRow.usage_count + 1, last_used_at=utcnow())
            )
            await s.commit()
            return int(turn_id or 0)

    async def add_assistant(
        self,
        owner: OwnerKey,
        space_id: int,
        content: str,
        *,
        model: str,
        persona_name: str,
        prompt_tokens: int,
        completion_tokens: int,
        status: str = "done",
        chat_id: int | None = None,
        heard_others: bool = False,
    ) -> int:
        """Store the reply together with its token usage ("cut": only part of it arrived);
        `heard_others`: its prompt carried other people's channel lines."""
        tokens = {
            "model": model,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "created_at": utcnow(),
            "user_id": owner.user_id,
            "persona_id": owner.persona_id,
            "space_id": space_id,
        }
        async with self._write() as s:
            turn_id = await s.scalar(
                insert(Turn)
                .values(
                    role="assistant",
                    content=content,
                    status=status,
                    chat_id=chat_id,
                    heard_others=heard_others,
                    **tokens,
                )
                .returning(Turn.id)
            )
            await s.execute(insert(UsageLog).values(persona_name=persona_name, **tokens))
            await s.commit()
            return int(turn_id or 0)

    async def recent(
        self,
        owner: OwnerKey,
        limit: int,
        before_id: int | None = None,
        *,
        in_space: int | None = None,
        chat: int | None = None,
    ) -> list[TurnRecord]:
        """The last `limit` turns of this owner (in chat `chat` and said in `in_space`, when
        given), oldest first."""
        if limit <= 0:
            return []
        query = select(Turn).where(_owned(owner))
        if chat is not None:
            query = query.where(Turn.chat_id == chat)
        if in_space is not None:
            query = query.where(Turn.space_id == in_space)
        if before_id is not None:
            query = query.where(Turn.id < before_id)
        async with self._sessions() as s:
            rows = await s.scalars(query.order_by(Turn.id.desc()).limit(limit))
            return [_turn(r) for r in reversed(list(rows))]

    async def last_message(
        self, owner: OwnerKey, in_space: int, chat: int | None = None
    ) -> TurnRecord | None:
        """This owner's latest message said in `in_space` (in chat `chat`, when given)."""
        query = select(Turn).where(_owned(owner), Turn.role == "user", Turn.space_id == in_space)
        if chat is not None:
            query = query.where(Turn.chat_id == chat)
        async with self._sessions() as s:
            row = await s.scalar(query.order_by(Turn.id.desc()).limit(1))
            return _turn(row) if row is not None else None

    async def forget_reply(self, user_id: int, turn_id: int) -> bool:
        """Delete one persona reply to this user (any of their personas); False if it is not
        a reply to them."""
        async with self._write() as s:
            done = await s.execute(
                delete(Turn).where(
                    Turn.user_id == user_id, Turn.id == turn_id, Turn.role == "assistant"
                )
            )
            await s.commit()
            return bool(getattr(done, "rowcount", 0))

    async def rewrite(self, owner: OwnerKey, turn_id: int, content: str) -> bool:
        """Replace the text of one of this owner's messages (the user edited it)."""
        async with self._write() as s:
            done = await s.execute(
                update(Turn)
                .where(_owned(owner), Turn.id == turn_id, Turn.role == "user")
                .values(content=content, extracted_at=None, extract_attempts=0)
            )
            await s.commit()
            return bool(getattr(done, "rowcount", 0))

    async def forget_exchange(self, owner: OwnerKey, turn_id: int) -> list[int]:
        """Delete one of this owner's messages and the replies that answered it (up to the
        owner's next message); returns the ids deleted (none if the message is not theirs)."""
        later = (
            select(func.min(Turn.id))
            .where(_owned(owner), Turn.role == "user", Turn.id > turn_id)
            .scalar_subquery()
        )
        async with self._write() as s:
            found = (
                await s.execute(
                    select(Turn.space_id).where(
                        _owned(owner), Turn.id == turn_id, Turn.role == "user"
                    )
                )
            ).first()
            if found is None:
                return []
            here = found[0]  # replies go where the message was said
            answers = (
                (Turn.role == "assistant")
                & (Turn.id > turn_id)
                & ((Turn.id < later) | later.is_(None))
                & (Turn.space_id.is_(None) if here is None else Turn.space_id == here)
            )
            gone = await s.scalars(
                delete(Turn)
                .where(_owned(owner), (Turn.id == turn_id) | answers)
                .returning(Turn.id)
            )
            ids = sorted(int(i) for i in gone)
            await s.commit()
            return ids

    async def older(
        self, owner: OwnerKey, chat: int, in_space: int | None, after_id: int, window: int
    ) -> list[TurnRecord]:
        """The turns of one chat (said in `in_space`, when given) after `after_id` that are
        older than its last `window` turns, oldest first: what a summary has yet to cover."""
        where = [_owned(owner), Turn.chat_id == chat]
        if in_space is not None:
            where.append(Turn.space_id == in_space)
        newest = select(Turn.id).where(*where).order_by(Turn.id.desc()).offset(window).limit(1)
        async with self._sessions() as s:
            edge = await s.scalar(newest)  # the newest turn outside the window
            if edge is None or edge <= after_id:
                return []
            rows = await s.scalars(
                select(Turn).where(*where, Turn.id > after_id, Turn.id <= edge).order_by(Turn.id)
            )
            return [_turn(r) for r in rows]

    async def groups(self, space_ids: list[int | None]) -> set[int]:
        """Which of these spaces are groups (whose turns stay in them), not DMs."""
        ids = [i for i in space_ids if i is not None]
        if not ids:
            return set()
        async with self._sessions() as s:
            found = await s.scalars(
                select(Space.id).where(Space.id.in_(ids), Space.kind == "group")
            )
            return set(found)

    async def count(self, owner: OwnerKey) -> int:
        """How many turns this owner has."""
        async with self._sessions() as s:
            n = await s.scalar(select(func.count()).where(_owned(owner)))
            return int(n or 0)

    async def said_by(self, user_id: int, limit: int) -> list[str]:
        """A user's newest messages to any persona (their profile's inference reads them)."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(Turn.content)
                .where(Turn.user_id == user_id, Turn.role == "user")
                .order_by(Turn.id.desc())
                .limit(limit)
            )
            return [str(c) for c in rows]

    async def said_to(self, persona_id: int, limit: int) -> list[tuple[int, str]]:
        """(user id, text) of the newest user messages to a persona, across its users: the
        input of its shared-knowledge pass, which keeps only what several users said."""
        async with self._sessions() as s:
            rows = await s.execute(
                select(Turn.user_id, Turn.content)
                .where(Turn.persona_id == persona_id, Turn.role == "user")
                .order_by(Turn.id.desc())
                .limit(limit)
            )
            return [(int(u), str(c)) for u, c in rows]

    async def awaiting_extraction(
        self, limit: int, max_attempts: int
    ) -> list[tuple[OwnerKey, TurnRecord, str]]:
        """User turns not yet distilled into facts, with the reply that followed each.

        Spans owners on purpose (a maintenance queue); each result carries its own OwnerKey.
        """
        reply = aliased(Turn)
        first_reply = (
            select(func.min(reply.id))
            .where(
                reply.user_id == Turn.user_id,
                reply.persona_id == Turn.persona_id,
                reply.role == "assistant",
                reply.id > Turn.id,
            )
            .correlate(Turn)
            .scalar_subquery()
        )
        answer = aliased(Turn)
        async with self._sessions() as s:
            rows = await s.execute(
                # A reply that heard other people may repeat them: not this owner's to learn.
                select(Turn, case((answer.heard_others, ""), else_=answer.content))
                .join(answer, answer.id == first_reply)
                .where(
                    Turn.role == "user",
                    Turn.extracted_at.is_(None),
                    Turn.extract_attempts < max_attempts,
                )
                .order_by(Turn.id)
                .limit(limit)
            )
            return [
                (OwnerKey(turn.user_id, turn.persona_id), _turn(turn), content)
                for turn, content in rows
            ]

    async def mark_extracted(self, turn_ids: Sequence[int], ok: bool) -> None:
        """Done, or one more failed attempt, for each of these turns."""
        values: dict[str, Any] = (
            {"extracted_at": utcnow()} if ok else {"extract_attempts": Turn.extract_attempts + 1}
        )
        async with self._write() as s:
            await s.execute(update(Turn).where(Turn.id.in_(turn_ids)).values(**values))
            await s.commit()

    async def wipe(self, owner: OwnerKey) -> int:
        """Delete every turn of this owner; returns how many."""
        async with self._write() as s:
            result = await s.execute(delete(Turn).where(_owned(owner)))
            await s.commit()
            return int(getattr(result, "rowcount", 0) or 0)
