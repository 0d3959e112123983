"""The memory service: remember, recall, forget — keyed by (user_id, persona_id), usable alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from bot.config import MemoryConfig
from bot.errors import BadInput
from bot.memory.embeddings import Embedder
from bot.memory.ranking import about_recency, conversation_names, hop_names, is_question
from bot.memory.scoring import episode_importance, fuse, minmax, recency
from bot.memory.timeparse import TOLD_AFTER, Window, anchor, window
from storage.keys import OwnerKey
from storage.memory_repo import MemoryRecord, MemoryRepo
from storage.models import utcnow
from storage.vectors import Hit, VectorRow, VectorStore

log = logging.getLogger(__name__)

Vector = np.ndarray | Awaitable[np.ndarray]
KINDS = ("episode", "fact", "preference", "summary")
MODES = ("vector", "fts", "hybrid", "hybrid+rescore")
REPLY_OF_TOP = 5  # only the best few question hits bring their reply: small talk asks a lot
REPLY_POOL = 10  # questions among this many of the most relevant get their reply fetched
HOP_CANDIDATES = 5
HOP_FROM = 3  # names are read off this many of the most relevant hits
HOP_WEIGHT = 0.9  # a hop hit counts up to this share of the hit that named it
HOP_HALF = 2.0  # the BM25 score of a name at which a hop hit counts half that
FACTS = 8  # known facts a turn's recall hands to fact extraction
ANCHOR_SIMILARITY = 0.35  # "before the trip": the told event must be this close in meaning


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


def distinct(results: list[Recalled]) -> list[Recalled]:
    """One of each text ("lol yes" said ten times fills no prompt): the best-ranked copy."""
    seen: set[str] = set()
    out = []
    for r in results:
        key = " ".join(r.text.lower().split())
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


class MemoryService:
    """SQL holds the items, LanceDB indexes them; both change together."""

    def __init__(
        self,
        repo: MemoryRepo,
        vectors: VectorStore,
        embedder: Embedder,
        cfg: MemoryConfig,
        clock: Callable[[], datetime] = utcnow,
        touch_delay_s: float = 0.5,
    ) -> None:
        self.repo = repo
        self.vectors = vectors
        self.embedder = embedder
        self.cfg = cfg
        self.clock = clock
        self.touch_delay_s = touch_delay_s  # recalls strengthened this close share one write
        self._touched: list[tuple[OwnerKey, list[int], datetime]] = []
        self._touch_now = asyncio.Event()
        self._touching: asyncio.Task[None] | None = None

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
        """Bulk load (e.g. a transcript): one embedding batch, one SQL statement, one index
        write."""
        texts = [(t.strip(), at) for t, at in texts]
        if not all(t for t, _ in texts):
            raise BadInput("a memory needs some text")
        if kind not in KINDS:
            raise BadInput(f"kind must be one of {', '.join(KINDS)}")
        vectors = await self.embedder.embed([t for t, _ in texts])
        items = await self.repo.add_many(
            owner, kind, [(t, at, episode_importance(t)) for t, at in texts]
        )
        await self.vectors.add(
            [
                VectorRow(i.id, owner, kind, i.text, i.created_at, v)
                for i, v in zip(items, vectors, strict=True)
            ]
        )
        return items

    async def _window(
        self, owner: OwnerKey, query: str, now: datetime, in_space: int | None
    ) -> Window | None:
        found = window(query, now)
        if found is not None:
            return found
        ref = anchor(query)
        if ref is None:
            return None
        # Anchor only on an event this owner actually told: its words and its meaning match.
        vec, txt = await self._search(owner, ref.phrase, "hybrid", None, 5)
        lexical = {h.id for h in txt}
        ids = [h.id for h in vec if h.score >= ANCHOR_SIMILARITY and h.id in lexical]
        if not ids:
            return None
        items = await self.repo.get(owner, ids[:1])
        items = [i for i in items if in_space is None or i.space_id == in_space]
        if not items:
            return None
        when = items[0].created_at
        return Window(None, when - TOLD_AFTER) if ref.before else Window(when, None)

    async def _search(
        self, owner: OwnerKey, query: str, mode: str, vector: Vector | None, n: int
    ) -> tuple[list[Hit], list[Hit]]:
        """Vector and full-text search at once: reading a small owner's rows (both rankings
        are made from them) or a large owner's full-text search needs no embedding, so it runs
        while the query is embedded (the caller's embedding may still be on its way)."""
        if mode == "fts":
            return [], await self.vectors.by_text(owner, query, n)
        embedding = self.embed(query) if vector is None else vector
        if mode == "vector":
            return await self.vectors.by_vector(owner, embedding, n), []
        return await self.vectors.search(owner, query, embedding, n)

    async def recall(
        self,
        owner: OwnerKey,
        query: str,
        k: int | None = None,
        *,
        now: datetime | None = None,
        mode: str | None = None,
        vector: Vector | None = None,
        exclude_turns: Collection[int] = (),
        touch: bool = True,
        in_space: int | None = None,
    ) -> list[Recalled]:
        """The k memories of this owner that best answer `query`, best first; with `in_space`,
        only those formed in that space (a group never hears what was said in a DM). `vector`
        may be the query's embedding or a task computing it (full-text search starts first)."""
        top, _ = await self.recall_with_facts(
            owner,
            query,
            k,
            now=now,
            mode=mode,
            vector=vector,
            exclude_turns=exclude_turns,
            touch=touch,
            in_space=in_space,
        )
        return top

    async def recall_with_facts(
        self,
        owner: OwnerKey,
        query: str,
        k: int | None = None,
        *,
        now: datetime | None = None,
        mode: str | None = None,
        vector: Vector | None = None,
        exclude_turns: Collection[int] = (),
        touch: bool = True,
        in_space: int | None = None,
    ) -> tuple[list[Recalled], list[MemoryRecord]]:
        """`recall`, plus the owner's facts and preferences among all its candidates, most
        relevant first — whatever their source turn, but (with `in_space`) only that space's:
        fact extraction reconciles with these (a chat turn's recall spares it a second one),
        and a model shown a DM's fact while reading a group's turn may copy it into a fact
        of the group."""
        k = k or self.cfg.top_k
        now = now or self.clock()
        mode = mode or self.cfg.recall_mode
        if mode not in MODES:
            raise BadInput(f"recall mode must be one of {', '.join(MODES)}")
        rescore = mode == "hybrid+rescore"
        n = max(self.cfg.candidates, k * 3)
        if rescore:
            (vec_hits, txt_hits), win = await asyncio.gather(
                self._search(owner, query, mode, vector, n),
                self._window(owner, query, now, in_space),
            )
        else:
            vec_hits, txt_hits = await self._search(owner, query, mode, vector, n)
            win = None
        cosine = {h.id: h.score for h in vec_hits}
        lexical = {h.id for h in txt_hits}
        if mode == "vector":
            relevance = cosine
        elif mode == "fts":
            relevance = minmax({h.id: h.score for h in txt_hits})
        else:
            relevance = fuse(cosine, {h.id: h.score for h in txt_hits})
        texts = {h.id: h.text for h in (*vec_hits, *txt_hits)}
        asked: list[int] = []
        if rescore and relevance:
            relevance, hopped = await self._hop(owner, query, relevance, texts)
            lexical |= hopped  # found by a name: a word match, not a weak semantic one
            best = sorted(relevance, key=lambda i: -relevance[i])[:REPLY_POOL]
            asked = [i for i in best if is_question(texts.get(i, ""))]
        rows, replies = await self.repo.get_with_next(owner, list(relevance), asked)
        facts = sorted(
            (
                r
                for r in rows
                if r.kind in ("fact", "preference")
                and r.id in relevance
                and (in_space is None or r.space_id == in_space)
                and (cosine.get(r.id, 1.0) >= self.cfg.min_relevance or r.id in lexical)
            ),
            key=lambda r: -relevance[r.id],
        )[:FACTS]
        items = {
            r.id: r
            for r in rows
            if (r.source_turn_id is None or r.source_turn_id not in exclude_turns)
            and (in_space is None or r.space_id == in_space)
        }
        # Recency counts fully only when the question is about the latest state of things;
        # otherwise it just breaks near-ties.
        recency_weight = (
            self.cfg.weight_recency if about_recency(query) else self.cfg.recency_tiebreak
        )
        results: list[Recalled] = []
        for item_id, rel in relevance.items():
            item = items.get(item_id)
            if item is None:
                continue
            # When the memory was formed: recalling it (touch) must not reorder the next recall.
            rec = recency(item.created_at, now, self.cfg.recency_half_life_days)
            inside = win is not None and win.contains(item.created_at)
            score = rel
            if rescore:
                score = self.cfg.weight_relevance * rel + (
                    recency_weight * rec
                    + self.cfg.weight_importance * item.importance * item.strength
                    + (self.cfg.weight_time if inside else 0.0)
                )
            # Weak semantic matches found only by vector search are noise in a prompt.
            weak = cosine.get(item_id, 1.0) < self.cfg.min_relevance and item_id not in lexical
            if weak and not inside:
                continue
            results.append(Recalled(item, score, rel, rec, inside))
        results.sort(key=lambda r: (-r.score, -r.item.id))
        if rescore:
            results = self._with_replies(distinct(results), replies, items)
        top = results[:k]
        if touch and top:
            self._touch(owner, [r.id for r in top], now)
        return top, facts

    def _touch(self, owner: OwnerKey, ids: list[int], now: datetime) -> None:
        """Strengthening is for decay only, so no answer waits for it: recalls within
        touch_delay_s are written together, after the turns that made them (a write right
        behind each recall cost the next recall ~2 ms)."""
        self._touched.append((owner, ids, now))
        if self._touching is None or self._touching.done():
            self._touch_now.clear()
            self._touching = asyncio.create_task(self._write_touches())
            self._touching.add_done_callback(self._touch_done)

    async def _write_touches(self) -> None:
        while self._touched:  # recalls made during a write go in the next one
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._touch_now.wait(), self.touch_delay_s)
            batch, self._touched = self._touched, []
            await self.repo.recalled(batch)

    def _touch_done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.warning("strengthening recalled memories failed: %r", task.exception())

    async def settle(self) -> None:
        """Write the strengthening that recalls left pending now (tests, shutdown)."""
        while self._touching is not None and not self._touching.done():
            self._touch_now.set()
            await asyncio.gather(self._touching, return_exceptions=True)

    def _with_replies(
        self,
        results: list[Recalled],
        replies: dict[int, int],
        items: dict[int, MemoryRecord],
    ) -> list[Recalled]:
        """A hit that is a question often matches better than its answer, which is the next
        turn: among the best few, the answer moves (or comes in) right after it — this
        owner's only (the repository fetched it keyed by owner)."""
        top = {r.id for r in results[:REPLY_OF_TOP]}
        out: list[Recalled] = []
        placed: set[int] = set()
        by_id = {r.id: r for r in results}
        for r in results:
            if r.id in placed:
                continue
            out.append(r)
            placed.add(r.id)
            reply = replies.get(r.id)
            if r.id not in top or reply is None or reply in placed or reply not in items:
                continue
            known = by_id.get(reply)
            item = known.item if known is not None else items[reply]
            rec = known.recency if known is not None else 0.0
            out.append(Recalled(item, r.score - 1e-4, r.relevance, rec, r.in_window))
            placed.add(reply)
        return out

    async def _hop(
        self, owner: OwnerKey, query: str, relevance: dict[int, float], texts: dict[int, str]
    ) -> tuple[dict[int, float], set[int]]:
        """Multi-hop: names in the best hits that the query lacks lead to a second, full-text
        search ("my sister" → "My sister is Ana" → "Ana works as an architect"). The
        conversation's own names (its speakers) are ignored, and what the hop finds is
        blended into relevance, never forced into a rank."""
        best = sorted(relevance, key=lambda i: -relevance[i])[:HOP_FROM]
        ignore = conversation_names(texts.values())
        names = sorted({n for i in best for n in hop_names(texts.get(i, ""), query, ignore)})
        if not names:
            return relevance, set()
        hits = await self.vectors.by_text(owner, " ".join(names), HOP_CANDIDATES)
        top = relevance[best[0]]
        out = dict(relevance)
        for h in hits:
            if h.id in best:
                continue
            texts.setdefault(h.id, h.text)
            carried = HOP_WEIGHT * top * h.score / (h.score + HOP_HALF)
            out[h.id] = max(out.get(h.id, 0.0), carried)
        return out, {h.id for h in hits}

    async def forget(self, owner: OwnerKey, item_id: int) -> MemoryRecord | None:
        """Delete one item from SQL and the index; returns it (None if it is not this
        owner's), so the caller can drop the message it came from too."""
        found = await self.repo.get(owner, [item_id])
        if not found:
            return None
        await self.repo.delete(owner, item_id)
        await self.vectors.delete(owner, [item_id])
        return found[0]

    async def forget_turns(self, owner: OwnerKey, turn_ids: Sequence[int]) -> int:
        """Delete every item formed from these turns, from SQL and the index."""
        gone = await self.repo.delete_from_turns(owner, turn_ids)
        if gone:
            await self.vectors.delete(owner, gone)
        return len(gone)

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
