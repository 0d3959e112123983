"""Background distillation of facts and preferences, reconciled with what is already known."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from bot.llm import LLM, LLMFailure
from bot.memory.knowledge import KnowledgeKeeper
from bot.memory.service import MemoryService
from personas.errors import BotError
from storage.keys import OwnerKey
from storage.memory_repo import MemoryRecord
from storage.turns import TurnRecord, TurnRepo

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
DUPLICATE = 0.93  # cosine at which a new fact is the same as a known one

INSTRUCTIONS = """You maintain a memory of facts about a user. Read the user's latest message \
(and the reply it got) and the facts already known. Return JSON only:
{"memories": [{"op": "add"|"update"|"delete"|"none", "id": <known id, for update/delete>, \
"kind": "fact"|"preference", "text": "<one short sentence about the user>", \
"importance": <0.0-1.0>}]}
- add: a new lasting fact or preference about the user (not small talk, not questions).
- update: a known fact changed; give its id and the new text.
- delete: the user said a known fact is no longer true; give its id.
- none / an empty list: nothing worth keeping.
Write facts in the third person ("The user ..."). Never invent details."""


class Operation(BaseModel):
    """One change the model proposes."""

    op: Literal["add", "update", "delete", "none"]
    id: int | None = None
    kind: Literal["fact", "preference"] = "fact"
    text: str = Field("", max_length=500)
    importance: float = Field(0.5, ge=0.0, le=1.0)


class Extraction(BaseModel):
    """The whole structured answer."""

    memories: list[Operation] = Field(default_factory=list, max_length=20)


class MalformedExtraction(BotError):
    """The model's answer is not the JSON we asked for."""


def parse(text: str) -> Extraction:
    """Read the model's JSON, tolerating code fences and chatter around it."""
    body = re.sub(r"^```(?:json)?|```$", "", text.strip(), flags=re.MULTILINE).strip()
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise MalformedExtraction("no JSON object in the answer")
    try:
        return Extraction.model_validate(json.loads(body[start : end + 1]))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise MalformedExtraction(str(exc).splitlines()[0]) from None


class Extractor:
    """Turns exchanges into facts; failures are logged and retried, never shown to the user."""

    def __init__(
        self,
        memory: MemoryService,
        turns: TurnRepo,
        llm: LLM,
        model: str,
        keeper: KnowledgeKeeper | None = None,
        user_names: Callable[[int], Awaitable[str]] | None = None,
    ) -> None:
        self.memory = memory
        self.turns = turns
        self.llm = llm
        self.model = model
        self.keeper = keeper
        self.user_names = user_names
        self._tasks: set[asyncio.Task[int]] = set()
        self._lock = asyncio.Lock()  # one pass at a time keeps reconciling consistent

    def schedule(self) -> None:
        """Process pending exchanges in the background."""
        task = asyncio.create_task(self.drain())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, batch: int = 20) -> int:
        """One pass over pending exchanges; a failed one waits for the next pass (at most
        MAX_ATTEMPTS passes in all), so a flaky model is not hammered."""
        done = 0
        tried: set[int] = set()
        async with self._lock:
            while True:
                pending = await self.turns.awaiting_extraction(batch + len(tried), MAX_ATTEMPTS)
                fresh = [p for p in pending if p[1].id not in tried]
                if not fresh:
                    return done
                for owner, turn, reply in fresh:
                    tried.add(turn.id)
                    ok = await self._one(owner, turn, reply)
                    await self.turns.mark_extracted(turn.id, ok)
                    done += ok

    async def wait(self) -> None:
        """Let scheduled passes finish (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _one(self, owner: OwnerKey, turn: TurnRecord, reply: str) -> bool:
        known = [
            r.item
            for r in await self.memory.recall(owner, turn.content, 8, touch=False)
            if r.item.kind in ("fact", "preference")
        ]
        listing = "\n".join(f"- id {m.id}: {m.text}" for m in known) or "(none)"
        messages = [
            {"role": "system", "content": INSTRUCTIONS},
            {
                "role": "user",
                "content": f"Known facts:\n{listing}\n\n"
                f"User: {turn.content}\nReply: {reply[:1000]}",
            },
        ]
        try:
            answer = await self.llm.complete(messages, self.model, 0.0, json_mode=True)
            result = parse(answer.text)
        except (LLMFailure, MalformedExtraction) as exc:
            # INFO: a small local model fails often; the turn is retried on a later pass.
            log.info("extraction of turn %d failed: %s", turn.id, exc)
            return False
        await self.apply(owner, turn, result, {m.id: m for m in known})
        if self.keeper is not None:
            persona = await self.keeper.personas.get(owner.persona_id)
            if persona is not None and self.keeper.due(persona):
                await self.keeper.learn(persona)
        return True

    async def apply(
        self,
        owner: OwnerKey,
        turn: TurnRecord,
        result: Extraction,
        known: dict[int, MemoryRecord],
    ) -> dict[str, int]:
        """Reconcile proposed operations with what is known; returns counts per operation."""
        counts = {"add": 0, "update": 0, "delete": 0, "none": 0}
        for op in result.memories:
            text = op.text.strip()
            target = known.get(op.id) if op.id is not None else None
            if op.op in ("update", "delete") and target is None:
                counts["none"] += 1  # an id we did not offer: never touch anything else
                continue
            if op.op == "delete" and target is not None:
                await self.memory.retire(owner, target.id)
            elif op.op in ("add", "update") and text:
                if await self._duplicate(owner, text, exclude=target.id if target else None):
                    counts["none"] += 1
                    continue
                new = await self.memory.remember(
                    owner,
                    text,
                    kind=op.kind,
                    importance=op.importance,
                    at=turn.created_at,
                    source_turn_id=turn.id,
                    space_id=turn.space_id,
                )
                if target is not None:
                    await self.memory.supersede(owner, target.id, new.id)
            else:
                counts["none"] += 1
                continue
            counts[op.op] += 1
        return counts

    async def _duplicate(self, owner: OwnerKey, text: str, exclude: int | None) -> bool:
        vector = await self.memory.embed(text)
        hits = await self.memory.vectors.by_vector(owner, vector, 3)
        ids = [h.id for h in hits if h.score >= DUPLICATE and h.id != exclude]
        items = await self.memory.repo.get(owner, ids)
        return any(i.kind in ("fact", "preference") for i in items)


def describe(counts: dict[str, Any]) -> str:
    """Counts as one log-friendly line."""
    return ", ".join(f"{k} {v}" for k, v in counts.items())
