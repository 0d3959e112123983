"""The memory service: remember, recall, forget — keyed by (user_id, persona_id), usable alone."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from bot.config import MemoryConfig
from bot.errors import BadInput
from bot.memory.embeddings import Embedder
from bot.memory.scoring import episode_importance, fuse, minmax, recency, rrf
from bot.memory.timeparse import Window, anchor, window
from personas.knowledge import proper_nouns
from storage.keys import OwnerKey
from storage.memory_repo import MemoryRecord, MemoryRepo
from storage.models import utcnow
from storage.vectors import VectorRow, VectorStore

log = logging.getLogger(__name__)

_CURRENT = re.compile(
    r"\b(now|currently|these days|at the moment|nowadays|any ?more|still|latest)\b",
    re.IGNORECASE,
)

KINDS = ("episode", "fact", "preference", "summary")
MODES = ("vector", "fts", "hybrid", "hybrid+rescore")
REPLY_OF_TOP = 3  # only the best few question hits bring their reply: small talk asks a lot


@dataclass(frozen=True)
class Recalled:
    """A recalled item with its score and the parts the score is made of."""

    item: MemoryRecord
    score: float
    relevance: float
    recency: float
    in_window: bool = False

    @property
    def id(self) -> int:
        return self.item.id

    @property
    def text(self) -> str:
        return self.item.text


class MemoryService:
    """SQL holds the items, LanceDB indexes them; both change together."""

    def __init__(
        self,
        repo: MemoryRepo,
        vectors: VectorStore,
        embedder: Embedder,
        cfg: MemoryConfig,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.repo = repo
        self.vectors = vectors
        self.embedder = embedder
        self.cfg = cfg
        self.clock = clock

    async def embed(self, text: str) -> np.ndarray:
        """One text's vector (shared by recall and remember within a turn)."""
        return (await self.embedder.embed([text]))[0]

    async def remember(
        self,
        owner: OwnerKey,
        text: str,
        *,
        at: datetime | None = None,
        kind: str = "episode",
        importance: float | None = None,
        source_turn_id: int | None = None,
        vector: np.ndarray | None = None,
        space_id: int | None = None,
    ) -> MemoryRecord:
        """Store one memory (formed in `space_id`) in SQL and index it."""
        text = text.strip()
        if not text:
            raise BadInput("a memory needs some text")
        if kind not in KINDS:
            raise BadInput(f"kind must be one of {', '.join(KINDS)}")
        score = episode_importance(text) if importance is None else importance
        item = await self.repo.add(
            owner,
            kind,
            text,
            importance=min(1.0, max(0.0, score)),
            created_at=at or self.clock(),
            source_turn_id=source_turn_id,
            space_id=space_id,
        )
        if vector is None:
            vector = await self.embed(text)
        await self.vectors.add([VectorRow(item.id, owner, kind, text, item.created_at, vector)])
        return item

    async def remember_many(
        self, owner: OwnerKey, texts: Sequence[tuple[str, datetime]], kind: str = "episode"
    ) -> list[MemoryRecord]:
        """Bulk load (e.g. a transcript): one embedding batch, one index write."""
        vectors = await self.embedder.embed([t for t, _ in texts])
        items = [
            await self.repo.add(owner, kind, t, importance=episode_importance(t), created_at=at)
            for t, at in texts
        ]
        await self.vectors.add(
            [
                VectorRow(i.id, owner, kind, i.text, i.created_at, v)
                for i, v in zip(items, vectors, strict=True)
            ]
        )
        return items

    async def _window(self, owner: OwnerKey, query: str, now: datetime) -> Window | None:
        found = window(query, now)
        if found is not None:
            return found
        ref = anchor(query)
        if ref is None:
            return None
        hits = await self.vectors.by_vector(owner, await self.embed(ref.phrase), 1)
        items = await self.repo.get(owner, [i for i, sim in hits if sim >= 0.35])
        if not items:
            return None
        when = items[0].created_at
        return Window(None, when) if ref.before else Window(when + timedelta(seconds=1), None)

    async def recall(
        self,
        owner: OwnerKey,
        query: str,
        k: int | None = None,
        *,
        now: datetime | None = None,
        mode: str | None = None,
        vector: np.ndarray | None = None,
        exclude_turns: Collection[int] = (),
        touch: bool = True,
        in_space: int | None = None,
    ) -> list[Recalled]:
        """The k memories of this owner that best answer `query`, best first; with `in_space`,
        only those formed in that space (a group never hears what was said in a DM)."""
        k = k or self.cfg.top_k
        now = now or self.clock()
        mode = mode or self.cfg.recall_mode
        if mode not in MODES:
            raise BadInput(f"recall mode must be one of {', '.join(MODES)}")
        n = max(self.cfg.candidates, k * 3)
        vec_hits: list[tuple[int, float]] = []
        txt_hits: list[tuple[int, float]] = []
        if mode != "fts":
            if vector is None:
                vector = await self.embed(query)
            vec_hits = await self.vectors.by_vector(owner, vector, n)
        if mode != "vector":
            txt_hits = await self.vectors.by_text(owner, query, n)
        cosine = dict(vec_hits)
        if mode == "vector":
            relevance = cosine
        elif mode == "fts":
            relevance = minmax(dict(txt_hits))
        else:
            relevance = fuse(cosine, dict(txt_hits))
        win = await self._window(owner, query, now) if mode == "hybrid+rescore" else None
        # "Where do I live now?": the latest statement should win over an older, closer match.
        recency_weight = self.cfg.weight_recency * (4 if _CURRENT.search(query) else 1)
        items = await self._candidates(owner, list(relevance), exclude_turns, in_space)
        results: list[Recalled] = []
        for item_id, item in items.items():
            rel = relevance[item_id]
            # Absolute decay, not min-max over candidates: normalising let fresh small talk
            # outrank older facts (updated-fact NDCG fell from 0.80 to 0.67 in the benchmark).
            # When the memory was formed: recalling it (touch) must not reorder the next recall.
            rec = recency(item.created_at, now, self.cfg.recency_half_life_days)
            inside = win is not None and win.contains(item.created_at)
            if mode != "hybrid+rescore":
                score = rel
            else:
                score = (
                    self.cfg.weight_relevance * rel
                    + recency_weight * rec
                    + self.cfg.weight_importance * item.importance * item.strength
                )
                if win is not None:
                    score += 1.0 if inside else -1.0
            # Weak semantic matches found only by vector search are noise in a prompt.
            if (
                item_id in cosine
                and cosine[item_id] < self.cfg.min_relevance
                and not any(i == item_id for i, _ in txt_hits)
                and not inside
            ):
                continue
            results.append(Recalled(item, score, rel, rec, inside))
        results.sort(key=lambda r: (-r.score, -r.item.id))
        if mode == "hybrid+rescore" and results:
            results = await self._hop(owner, query, results, exclude_turns, in_space)
            results = await self._replies(owner, results[:k], exclude_turns, in_space)
        top = results[:k]
        if touch and top:
            await self.repo.recalled(owner, [r.id for r in top], now)
        return top

    async def _candidates(
        self,
        owner: OwnerKey,
        ids: list[int],
        exclude_turns: Collection[int],
        in_space: int | None,
    ) -> dict[int, MemoryRecord]:
        """This owner's active items among `ids` (formed in `in_space`, when given), minus
        those already in the prompt's turns."""
        return {
            r.id: r
            for r in await self.repo.get(owner, ids)
            if (r.source_turn_id is None or r.source_turn_id not in exclude_turns)
            and (in_space is None or r.space_id == in_space)
        }

    async def _replies(
        self,
        owner: OwnerKey,
        results: list[Recalled],
        exclude_turns: Collection[int],
        in_space: int | None,
    ) -> list[Recalled]:
        """A hit that is a question often matches better than its answer, which is the next
        turn: the answer moves (or comes in) right after it — this owner's only."""
        asked = {r.id for r in results[:REPLY_OF_TOP] if "?" in r.text}
        if not asked:
            return results
        by_id = {r.id: r for r in results}
        fetched = await self._candidates(
            owner, [i + 1 for i in asked if i + 1 not in by_id], exclude_turns, in_space
        )
        out: list[Recalled] = []
        placed: set[int] = set()
        for r in results:
            if r.id in placed:
                continue
            out.append(r)
            placed.add(r.id)
            if r.id not in asked or r.id + 1 in placed:
                continue
            known = by_id.get(r.id + 1)
            item = known.item if known is not None else fetched.get(r.id + 1)
            if item is not None:
                out.append(Recalled(item, r.score - 1e-4, r.relevance, 0.0))
                placed.add(item.id)
        return out

    async def _hop(
        self,
        owner: OwnerKey,
        query: str,
        results: list[Recalled],
        exclude_turns: Collection[int],
        in_space: int | None,
    ) -> list[Recalled]:
        """Multi-hop: names in the best hit that the query lacks lead to a second search
        ("my sister" → "My sister is Ana" → "Ana works as an architect")."""
        names = [n for n in proper_nouns(" " + results[0].text) if n.lower() not in query.lower()]
        if not names:
            return results
        hop = " ".join(names)
        seen = {r.id for r in results[:1]}
        vec_hits = await self.vectors.by_vector(owner, await self.embed(hop), 5)
        txt_hits = await self.vectors.by_text(owner, hop, 5)
        order = rrf([[i for i, _ in txt_hits], [i for i, s in vec_hits if s >= 0.3]])
        fresh = [i for i in sorted(order, key=lambda i: -order[i]) if i not in seen]
        items = await self._candidates(owner, fresh, exclude_turns, in_space)
        hops = [items[i] for i in fresh if i in items][:2]
        if not hops:
            return results
        # Right after the hit that named them: they answer the question together.
        slot = results[0].score - 1e-3
        moved = {h.id for h in hops}
        hopped = [Recalled(h, slot - n * 1e-4, order[h.id], 0.0) for n, h in enumerate(hops)]
        return [results[0], *hopped, *(r for r in results[1:] if r.id not in moved)]

    async def forget(self, owner: OwnerKey, item_id: int) -> bool:
        """Delete one item from SQL and the index; False if it is not this owner's."""
        found = await self.repo.get(owner, [item_id])
        if not found:
            return False
        await self.repo.delete(owner, item_id)
        await self.vectors.delete(owner, [item_id])
        return True

    async def supersede(self, owner: OwnerKey, old_id: int, new_id: int) -> None:
        """`new_id` replaces `old_id`; the old text stays in SQL as history, out of recall."""
        await self.repo.supersede(owner, old_id, new_id)
        await self.vectors.delete(owner, [old_id])

    async def retire(self, owner: OwnerKey, item_id: int) -> None:
        """A contradicted fact: kept as history in SQL, gone from recall."""
        await self.repo.set_status(owner, item_id, "contradicted")
        await self.vectors.delete(owner, [item_id])

    async def wipe(self, owner: OwnerKey) -> int:
        """Delete every item of this owner from both stores."""
        n = await self.repo.wipe(owner)
        await self.vectors.wipe(owner)
        return n

    async def reindex(self) -> int:
        """Rebuild the whole LanceDB index from SQL; returns rows indexed."""
        await self.vectors.reset()
        total = 0
        async for batch in self.repo.all_active():
            vectors = await self.embedder.embed([r.text for r in batch])
            await self.vectors.add(
                [
                    VectorRow(r.id, r.owner, r.kind, r.text, r.created_at, v)
                    for r, v in zip(batch, vectors, strict=True)
                ]
            )
            total += len(batch)
        await self.vectors.optimize()
        return total

    async def export(self, owner: OwnerKey) -> dict[str, Any]:
        """Every item of this owner (superseded history included) as plain data."""
        out = []
        for status in ("active", "superseded", "contradicted"):
            offset = 0
            while page := await self.repo.page(owner, limit=500, offset=offset, status=status):
                out += [
                    {
                        "id": r.id,
                        "kind": r.kind,
                        "text": r.text,
                        "importance": r.importance,
                        "strength": r.strength,
                        "tier": r.tier,
                        "pinned": r.pinned,
                        "status": r.status,
                        "superseded_by": r.superseded_by,
                        "created_at": r.created_at.isoformat(),
                        "last_recalled_at": r.last_recalled_at.isoformat()
                        if r.last_recalled_at
                        else None,
                        "recall_count": r.recall_count,
                        "source_turn_id": r.source_turn_id,
                    }
                    for r in page
                ]
                offset += len(page)
        return {"user_id": owner.user_id, "persona_id": owner.persona_id, "items": out}
