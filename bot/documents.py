"""Knowledge documents of a persona: indexed once per content, retrieved into its answers."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from bot.config import KnowledgeConfig
from bot.errors import BadInput
from bot.memory.embeddings import TOKENIZER, Embedder
from bot.memory.scoring import fuse
from bot.messages import ProgressSink
from personas.documents import Limits, Parsed, Section, chunk, kept, limit_memory, read, survey
from storage.documents import Document, DocumentRepo
from storage.knowledge_index import Chunk, ChunkHit, KnowledgeIndex

log = logging.getLogger(__name__)

Vector = np.ndarray | Awaitable[np.ndarray]  # an embedding, or a task computing it
PROGRESS_EVERY_S = 1.0  # at most one progress message a second (platforms rate-limit edits)
EMBED_BATCH = 64  # chunks embedded per call, so progress moves and other turns interleave
NAME_CHARS = 200
PAGES_PER_CALL = 30  # PDF pages the reader reads per call: progress moves between calls
# The reader process may map this much: a file that unpacks past it fails that process alone.
READER_MEMORY = 2 * 1024**3
T = TypeVar("T")


@dataclass(frozen=True)
class Added:
    """What /knowledge add did: the document, and whether it was already there."""

    document: Document
    unchanged: bool = False
    replaced: bool = False


class _Reporter:
    """Progress passed on to the sink at most once a second (forced: the first and last)."""

    def __init__(self, sink: ProgressSink | None) -> None:
        self.sink = sink
        self.last = 0.0

    async def say(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        if self.sink is None or (not force and now - self.last < PROGRESS_EVERY_S):
            return
        self.last = now
        try:
            await self.sink(text)
        except Exception:  # a lost progress edit never stops the work
            log.debug("progress update failed", exc_info=True)


def with_sources(text: str, used: Sequence[Chunk], cfg: KnowledgeConfig) -> str:
    """A reply with the sources of the passages its prompt held, when show_sources is on
    (the stored turn keeps the model's words alone)."""
    if not cfg.show_sources or not used:
        return text
    return f"{text}\n\nSources: {'; '.join(dict.fromkeys(c.source for c in used))}"


def clean_name(name: str) -> str:
    """A document's name as shown and cited: the file name without any folder."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    base = "".join(ch for ch in base if ch.isprintable() and ch not in "[]")
    if not base:
        raise BadInput("the document needs a file name")
    return base[:NAME_CHARS]


class KnowledgeDocs:
    """Adds, lists, removes and searches a persona's documents (keyed by persona only)."""

    def __init__(
        self,
        repo: DocumentRepo,
        index: KnowledgeIndex,
        embedder: Embedder,
        cfg: KnowledgeConfig,
    ) -> None:
        self.repo = repo
        self.index = index
        self.embedder = embedder
        self.cfg = cfg
        self.limits = Limits(cfg.file_bytes, cfg.pages, tuple(cfg.types))
        self._pool: ProcessPoolExecutor | None = None  # the reader process
        # Persona id: the ids of its documents in SQL. Searches keep to these, so chunks left by
        # a persona deleted mid-way (its id reused) or a half-written document never show.
        self._locks: dict[int, asyncio.Lock] = {}

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a reader function in the reader process (started on first use)."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=limit_memory,
                initargs=(READER_MEMORY,),
            )
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, fn, *args)
        except BrokenProcessPool:
            self._pool = None  # the next document gets a new reader
            raise BadInput(
                "reading that file took the reader down (too big or malformed): refused"
            ) from None

    async def _read(self, name: str, data: bytes, report: _Reporter) -> Parsed:
        """Survey, then read a PDF a batch of pages at a time (progress between batches)."""
        kind, total = await self._run(survey, data, self.limits)
        if kind != "pdf":
            return kept(await self._run(read, data, self.limits))
        sections: list[Section] = []
        for first in range(0, total, PAGES_PER_CALL):
            last = min(total, first + PAGES_PER_CALL)
            sections += (await self._run(read, data, self.limits, first, last)).sections
            await report.say(f"indexing {name} — {last}/{total} pages", force=last == total)
        return kept(Parsed(kind, tuple(sections), total))

    async def _chunks(self, name: str, parsed: Parsed) -> list[Chunk]:
        cfg = self.cfg
        pieces = await self._run(
            chunk, parsed.sections, str(TOKENIZER), cfg.chunk_tokens, cfg.chunk_overlap
        )
        return [
            Chunk(0, n, text, f"{name} {where}".strip()) for n, (where, text) in enumerate(pieces)
        ]

    async def close(self) -> None:
        """Stop the reader process."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    async def add(
        self, persona_id: int, by: int, filename: str, data: bytes, progress: ProgressSink | None
    ) -> Added:
        """Index a file for a persona: the same bytes again change nothing; a changed file
        under the same name replaces the old chunks in one step."""
        name = clean_name(filename)
        digest = hashlib.sha256(data).hexdigest()
        async with self._locks.setdefault(persona_id, asyncio.Lock()):
            same = await self.repo.by_hash(persona_id, digest)
            if same is not None and same.chunks:
                return Added(same, unchanged=True)
            old = await self.repo.by_name(persona_id, name)
            report = _Reporter(progress)
            await report.say(f"reading {name}…", force=True)
            parsed = await self._read(name, data, report)
            chunks = await self._chunks(name, parsed)
            if not chunks:
                raise BadInput(f"there is no text in {name}")
            held = await self.repo.chunks(persona_id) - (old.chunks if old else 0)
            if held + len(chunks) > self.cfg.chunks_per_persona:
                raise BadInput(
                    f"{name} makes {len(chunks):,} chunks; this persona holds {held:,} of "
                    f"knowledge.chunks_per_persona ({self.cfg.chunks_per_persona:,})"
                )
            vectors = await self._embed(name, [c.text for c in chunks], parsed.pages, report)
            doc_id = await self.repo.reserve(persona_id, name, by)
            try:
                await self.index.replace(persona_id, doc_id, chunks, vectors)
            except Exception:
                if old is None:
                    await self.repo.delete(persona_id, doc_id)
                raise
            doc = await self.repo.fill(doc_id, parsed, digest, len(data), len(chunks))
            await report.say(f"indexed {name} — {parsed.pages} pages, {len(chunks)} chunks")
            return Added(doc, replaced=old is not None)

    async def _embed(
        self, name: str, texts: Sequence[str], pages: int, report: _Reporter
    ) -> np.ndarray:
        parts = []
        for start in range(0, len(texts), EMBED_BATCH):
            parts.append(await self.embedder.embed(texts[start : start + EMBED_BATCH]))
            done = min(len(texts), start + EMBED_BATCH)
            await report.say(
                f"indexing {name} — embedding {done}/{len(texts)} chunks ({pages} pages)"
            )
        return np.concatenate(parts)

    async def documents(self, persona_id: int) -> list[Document]:
        """A persona's documents by name."""
        return await self.repo.list(persona_id)

    async def get(self, persona_id: int, name: str) -> Document:
        """One of a persona's documents, or a refusal naming the others."""
        found = await self.repo.by_name(persona_id, clean_name(name))
        if found is None:
            raise BadInput(f"no document named '{name}' here — /knowledge list shows them")
        return found

    async def remove(self, persona_id: int, name: str) -> Document:
        """Delete a document and its chunks."""
        doc = await self.get(persona_id, name)
        async with self._locks.setdefault(persona_id, asyncio.Lock()):
            await self.index.delete(persona_id, [doc.id])
            await self.repo.delete(persona_id, doc.id)
        return doc

    async def wipe(self, persona_id: int) -> None:
        """Every chunk of a persona (its rows go with the persona)."""
        await self.index.delete(persona_id)

    async def erase(self, persona_ids: Sequence[int]) -> None:
        """These personas' chunks, gone from the index files too (a person's erasure)."""
        await self.index.erase(persona_ids)

    async def reindex(self, persona_id: int, progress: ProgressSink | None) -> int:
        """Chunk and embed every document again from its stored text; returns chunks."""
        total = 0
        report = _Reporter(progress)
        async with self._locks.setdefault(persona_id, asyncio.Lock()):
            for doc in await self.repo.list(persona_id):
                parsed = await self.repo.sections(persona_id, doc.id)
                if parsed is None:
                    continue
                chunks = await self._chunks(doc.name, parsed)
                vectors = await self._embed(doc.name, [c.text for c in chunks], doc.pages, report)
                await self.index.replace(persona_id, doc.id, chunks, vectors)
                await self.repo.fill(doc.id, parsed, doc.sha256, doc.size, len(chunks))
                total += len(chunks)
        return total

    async def search(
        self, persona_id: int, query: str, k: int, vector: np.ndarray | None = None
    ) -> list[ChunkHit]:
        """A persona's best chunks for `query`: vector and full-text search fused by score."""
        docs = await self._held(persona_id)
        if k <= 0 or not query.strip() or not docs:
            return []
        if vector is None:
            vector = (await self.embedder.embed([query]))[0]
        n = max(k * 3, 12)
        near, words = await asyncio.gather(
            self.index.by_vector(persona_id, docs, vector, n),
            self.index.by_text(persona_id, docs, query, n),
        )
        cosine = {h.key: h.score for h in near}
        found = {h.key: h for h in (*near, *words)}
        lexical = {h.key for h in words}
        score = fuse(cosine, {h.key: h.score for h in words})
        ranked = sorted(
            (key for key in score if key in lexical or cosine[key] >= self.cfg.min_relevance),
            key=lambda key: -score[key],
        )
        return [ChunkHit(found[key].chunk, score[key]) for key in ranked[:k]]

    async def for_prompt(
        self, persona_id: int, query: str, vector: Vector | None = None
    ) -> list[Chunk]:
        """The chunks that go into this turn's prompt, best first, within prompt_chars."""
        if not self.cfg.enabled or self.cfg.top_k <= 0:
            return []
        try:
            if not await self._held(persona_id):
                return []
            ready = vector if vector is None or isinstance(vector, np.ndarray) else await vector
            hits = await self.search(persona_id, query, self.cfg.top_k, ready)
        except Exception:  # documents must never cost the user a reply
            log.exception("knowledge retrieval failed; answering without it")
            return []
        out, budget = [], self.cfg.prompt_chars
        for hit in hits:
            budget -= len(hit.chunk.text) + len(hit.chunk.source) + 4
            if budget < 0:
                break
            out.append(hit.chunk)
        return out

    async def _held(self, persona_id: int) -> tuple[int, ...]:
        """The persona's indexed documents."""
        return await self.repo.indexed(persona_id)
