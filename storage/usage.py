"""Token and speech totals for /usage."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, insert, select

from storage.db import Database
from storage.keys import OwnerKey
from storage.models import UsageLog, utcnow


@dataclass(frozen=True)
class UsageLine:
    """Token totals of one persona for one user."""

    persona_name: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    spoken_characters: int = 0


class UsageRepo:
    """Token totals for /usage."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def by_persona(self, user_id: int) -> Sequence[UsageLine]:
        """This user's replies, tokens and spoken characters per persona, most used first."""
        async with self._sessions() as s:
            rows = await s.execute(
                select(
                    UsageLog.persona_name,
                    func.sum(case((UsageLog.kind == "chat", 1), else_=0)),
                    func.sum(UsageLog.prompt_tokens),
                    func.sum(UsageLog.completion_tokens),
                    func.sum(UsageLog.characters),
                )
                .where(UsageLog.user_id == user_id)
                .group_by(UsageLog.persona_name)
                .order_by(func.sum(UsageLog.prompt_tokens + UsageLog.completion_tokens).desc())
            )
            return [
                UsageLine(n, int(c or 0), int(p or 0), int(o or 0), int(ch or 0))
                for n, c, p, o, ch in rows
            ]

    async def add_chat(
        self,
        owner: OwnerKey,
        space_id: int,
        persona_name: str,
        model: str,
        prompt_tokens: int,
        completion_tokens: int,
    ) -> None:
        """Record a model call that is no turn (a persona answering another in a scene),
        counted against the person whose message set it off."""
        await self._add(
            owner,
            space_id,
            persona_name,
            model=model,
            kind="chat",
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )

    async def add_speech(
        self, owner: OwnerKey, space_id: int, persona_name: str, provider: str, characters: int
    ) -> None:
        """Record characters sent to a speech provider (ElevenLabs bills by character)."""
        await self._add(
            owner, space_id, persona_name, model=provider, kind="speech", characters=characters
        )

    async def _add(
        self, owner: OwnerKey, space_id: int, persona_name: str, **values: object
    ) -> None:
        async with self._write() as s:
            await s.execute(
                insert(UsageLog).values(
                    user_id=owner.user_id,
                    persona_id=owner.persona_id,
                    persona_name=persona_name,
                    space_id=space_id,
                    created_at=utcnow(),
                    **values,
                )
            )
            await s.commit()
