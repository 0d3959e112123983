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
from bot.memory.experience import ExperienceKeeper
from bot.memory.knowledge import KnowledgeKeeper
from bot.memory.service import MemoryService
from personas.errors import BotError
from storage.keys import OwnerKey
from storage.memory_repo import MemoryRecord
from storage.turns import TurnRecord, TurnRepo

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
DUPLICATE = 0.93  # cosine at which a new fact is the same as a known one
BATCH_TURNS = 8  # exchanges of one owner read by one model call
BATCH_CHARS = 6_000  # … and at most this much of their text
OWNERS_AT_ONCE = 4  # owners distilled concurrently
MAX_KNOWN = 16  # known facts offered to one call
MAX_HINTS = 10_000  # turns whose recall is held for extraction

INSTRUCTIONS = """You maintain a memory of facts about a user. Read the user's latest messages \
(each with the reply it got) and the facts already known. Return JSON only:
{"memories": [{"op": "add"|"update"|"delete"|"none", "id": <known id, for update/delete>, \
"kind": "fact"|"preference", "text": "<one short sentence about the user>", \
"importance": <0.0-1.0>, "exchange": <its number, when exchanges are numbered>}]}
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
    exchange: int | None = Field(None, ge=1)  # which of several exchanges it came from


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
    """Turns exchanges into facts; failures are logged and retried, never shown to the user.

    One model call reads up to BATCH_TURNS pending exchanges of one (user, persona) — never
    two owners' words in one prompt — and several owners are distilled at once. The known
    facts come from the chat turn's own recall (`hint`), re-read so none is stale; only an
    exchange without a hint (left over from a restart) is recalled again.
    """

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
        self._lock = asyncio.Lock()  # one pass at a time: a pass takes every pending exchange
        self._wanted = False
        self._hints: dict[int, list[int]] = {}  # user turn id → ids of facts its recall found
        self._learning = asyncio.Lock()
        self._uses: dict[int, int] = {}  # persona id → use count at its last knowledge check
        self.experience: ExperienceKeeper | None = None  # the core sets it

    def hint(self, turn_id: int, known: list[MemoryRecord]) -> None:
        """The facts a chat turn's recall found for its message (spares a second recall)."""
        if len(self._hints) >= MAX_HINTS:
            self._hints.pop(next(iter(self._hints)))  # the oldest: recalled again if needed
        self._hints[turn_id] = [m.id for m in known]

    def schedule(self) -> None:
        """Process pending exchanges in the background (one pass runs, at most one waits)."""
        if self._wanted:
            return  # a pass that has not started yet will take this exchange too
        self._wanted = True
        task = asyncio.create_task(self.drain())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, batch: int = 200) -> int:
        """One pass over pending exchanges; returns how many were distilled. A failed one waits
        for the next pass (at most MAX_ATTEMPTS passes in all), so a flaky model is not
        hammered."""
        done = 0
        tried: set[int] = set()
        async with self._lock:
            self._wanted = False
            while True:
                pending = await self.turns.awaiting_extraction(batch + len(tried), MAX_ATTEMPTS)
                fresh = [p for p in pending if p[1].id not in tried]
                if not fresh:
                    return done
                by_owner: dict[OwnerKey, list[tuple[TurnRecord, str]]] = {}
                for owner, turn, reply in fresh:
                    tried.add(turn.id)
                    by_owner.setdefault(owner, []).append((turn, reply))
                gate = asyncio.Semaphore(OWNERS_AT_ONCE)
                counts = await asyncio.gather(
                    *(self._owner(o, items, gate) for o, items in by_owner.items())
                )
                done += sum(counts)

    async def _owner(
        self, owner: OwnerKey, items: list[tuple[TurnRecord, str]], gate: asyncio.Semaphore
    ) -> int:
        """One owner's pending exchanges, batch after batch; returns how many were distilled."""
        async with gate:
            ok_turns = 0
            for chunk in batches(items):
                ok = await self._batch(owner, chunk)
                await self.turns.mark_extracted([t.id for t, _ in chunk], ok)
                ok_turns += len(chunk) if ok else 0
            return ok_turns

    async def wait(self) -> None:
        """Let scheduled passes finish (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _known(
        self, owner: OwnerKey, chunk: list[tuple[TurnRecord, str]]
    ) -> list[MemoryRecord]:
        """The owner's facts these exchanges may touch: the turns' hints, re-read (one read),
        and a recall only for a turn that has none."""
        ids: list[int] = []
        for turn, _ in chunk:
            hinted = self._hints.pop(turn.id, None)
            if hinted is None:
                # Only what may be known where it was said: a fact from a DM must not be
                # offered — and copied into a new fact — while reading a group's turn.
                group = turn.space_id in await self.turns.groups([turn.space_id])
                recalled = await self.memory.recall(
                    owner, turn.content, 8, touch=False, in_space=turn.space_id if group else None
                )
                hinted = [r.id for r in recalled if r.item.kind in ("fact", "preference")]
            ids.extend(i for i in hinted if i not in ids)
        by_id = {m.id: m for m in await self.memory.repo.get(owner, ids)}
        return [by_id[i] for i in ids if i in by_id][:MAX_KNOWN]

    async def _batch(self, owner: OwnerKey, chunk: list[tuple[TurnRecord, str]]) -> bool:
        known = await self._known(owner, chunk)
        listing = "\n".join(f"- id {m.id}: {m.text}" for m in known) or "(none)"
        said = "\n\n".join(
            (f"Exchange {n}:\n" if len(chunk) > 1 else "")
            + f"User: {turn.content}\nReply: {reply[:1000]}"
            for n, (turn, reply) in enumerate(chunk, 1)
        )
        messages = [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": f"Known facts:\n{listing}\n\n{said}"},
        ]
        ids = ", ".join(str(t.id) for t, _ in chunk)
        try:
            answer = await self.llm.complete(messages, self.model, 0.0, json_mode=True)
            result = parse(answer.text)
        except (LLMFailure, MalformedExtraction) as exc:
            # INFO: a small local model fails often; the turns are retried on a later pass.
            log.info("extraction of turns %s failed: %s", ids, exc)
            return False
        await self.apply(owner, [t for t, _ in chunk], result, {m.id: m for m in known})
        await self._learn(owner.persona_id)
        return True

    async def _learn(self, persona_id: int) -> None:
        """The persona's knowledge pass, when a multiple of its use count was passed."""
        if self.keeper is None:
            return
        async with self._learning:  # owners of one persona finish together: one pass
            persona = await self.keeper.personas.get(persona_id)
            if persona is None:
                return
            since = self._uses.get(persona_id)
            self._uses[persona_id] = persona.usage_count
            if self.keeper.due(persona, since):
                await self.keeper.learn(persona)
                if self.experience is not None:  # the same moment suits the blocks
                    await self.experience.refresh(persona)

    async def apply(
        self,
        owner: OwnerKey,
        turns: list[TurnRecord],
        result: Extraction,
        known: dict[int, MemoryRecord],
    ) -> dict[str, int]:
        """Reconcile proposed operations with what is known; returns counts per operation.
        A new memory is dated by, and traced to, the exchange the model names (the latest
        one when it names none or one it was not shown), so forgetting it forgets the
        right message."""
        counts = {"add": 0, "update": 0, "delete": 0, "none": 0}
        for op in result.memories:
            n = op.exchange or len(turns)
            turn = turns[n - 1] if n <= len(turns) else turns[-1]
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


def batches(items: list[tuple[TurnRecord, str]]) -> list[list[tuple[TurnRecord, str]]]:
    """Consecutive exchanges in groups of at most BATCH_TURNS and about BATCH_CHARS, each
    said in one space: what comes of a batch is kept as that space's (a DM's words never
    ride into a group's facts)."""
    out: list[list[tuple[TurnRecord, str]]] = []
    size = 0
    for item in items:
        cost = len(item[0].content) + min(len(item[1]), 1000)
        elsewhere = bool(out) and out[-1][0][0].space_id != item[0].space_id
        if not out or elsewhere or len(out[-1]) >= BATCH_TURNS or size + cost > BATCH_CHARS:
            out.append([])
            size = 0
        out[-1].append(item)
        size += cost
    return out
