"""The LanceDB `knowledge` table: document chunks keyed by persona (never by user)."""

from __future__ import annotations

import asyncio
import importlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from storage.lance_location import LanceLocation, committed, ensure_index, open_or_create
from storage.lance_purge import purge

log = logging.getLogger(__name__)

TABLE = "knowledge"
# Past this many chunks an exact vector search costs more than the 15 ms a turn can spare
# (measured: 50,000 of a persona's chunks 45 ms p50 exact, 8 ms with HNSW-SQ).
ANN_ROWS = 10_000


@dataclass(frozen=True)
class Chunk:
    """One indexed piece of a document, with where it came from ("handbook.pdf p.12")."""

    doc_id: int
    n: int
    text: str
    source: str


@dataclass(frozen=True)
class ChunkHit:
    """A chunk found by a search: its score is cosine similarity or BM25."""

    chunk: Chunk
    score: float

    @property
    def key(self) -> tuple[int, int]:
        return self.chunk.doc_id, self.chunk.n


class KnowledgeIndex:
    """Chunks with their vectors; a document's chunks are replaced in one commit."""

    def __init__(self, path: LanceLocation | Path | str, dim: int) -> None:
        self.path = LanceLocation.of(path)
        self.dim = dim
        self._table: Any = None
        self._opening = asyncio.Lock()
        self._lock = asyncio.Lock()  # one writer at a time: Lance commits are optimistic
        self._ann = False  # the vectors have their HNSW index

    def _schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field("key", pa.string()),
                pa.field("persona_id", pa.int64()),
                pa.field("doc_id", pa.int64()),
                pa.field("n", pa.int32()),
                pa.field("text", pa.string()),
                pa.field("source", pa.string()),
                pa.field("vector", pa.list_(pa.float32(), self.dim)),
            ]
        )

    async def _open(self) -> Any:
        if self._table is not None:
            return self._table
        async with self._opening:
            if self._table is None:
                # Importing LanceDB takes ~1 s: not on the event loop, if it is the first user.
                await asyncio.to_thread(importlib.import_module, "lancedb.index")
                from lancedb.index import FTS, BTree

                db = await self.path.connect()
                table = await open_or_create(db, TABLE, self._schema())
                for column in ("persona_id", "doc_id"):
                    await ensure_index(table, column, BTree())
                fts = FTS(language="English", stem=True, remove_stop_words=True, lower_case=True)
                await ensure_index(table, "text", fts)
                self._table = table
        return self._table

    async def replace(
        self, persona_id: int, doc_id: int, chunks: Sequence[Chunk], vectors: np.ndarray
    ) -> None:
        """Make `chunks` the document's only chunks, in one commit: a search sees the old set
        or the new one, never both or neither."""
        table = await self._open()
        rows = pa.table(
            {
                "key": [f"{doc_id}:{c.n}" for c in chunks],
                "persona_id": [persona_id] * len(chunks),
                "doc_id": [doc_id] * len(chunks),
                "n": [c.n for c in chunks],
                "text": [c.text for c in chunks],
                "source": [c.source for c in chunks],
                "vector": pa.FixedSizeListArray.from_arrays(
                    pa.array(vectors.reshape(-1).astype(np.float32)), self.dim
                ),
            },
            schema=self._schema(),
        )
        async with self._lock:
            await committed(
                lambda: (
                    table.merge_insert("key")
                    .when_matched_update_all()
                    .when_not_matched_insert_all()
                    .when_not_matched_by_source_delete(f"doc_id = {int(doc_id)}")
                    .execute(rows)
                )
            )
            if not self.path.shared:  # on a shared root the scheduler's vectors job does it
                await self._maintain(table)

    async def prepare(self) -> None:
        """Fold new rows into the indices and compact (replace does it after each document)."""
        table = await self._open()
        async with self._lock:
            await self._maintain(table)

    async def _maintain(self, table: Any) -> None:
        """Compact, fold new rows into the indices and, once the table is large enough, give
        the vectors an HNSW index (built once; later rows are folded in by optimize)."""
        await committed(lambda: table.optimize(cleanup_older_than=timedelta(minutes=5)))
        if self._ann or await table.count_rows() < ANN_ROWS:
            return
        have = {tuple(i.columns) for i in await table.list_indices()}
        if ("vector",) not in have:
            from lancedb.index import HnswSq

            await table.create_index("vector", config=HnswSq(distance_type="cosine"))
        self._ann = True

    async def delete(self, persona_id: int, doc_ids: Sequence[int] | None = None) -> None:
        """Remove some of a persona's documents' chunks, or all of them."""
        table = await self._open()
        where = f"persona_id = {int(persona_id)}"
        if doc_ids is not None:
            if not doc_ids:
                return
            where += f" AND doc_id IN ({', '.join(str(int(d)) for d in doc_ids)})"
        async with self._lock:
            await committed(lambda: table.delete(where))

    async def erase(self, persona_ids: Sequence[int]) -> None:
        """Remove these personas' chunks for good (the files keep no trace of them)."""
        if not persona_ids:
            return
        table = await self._open()
        where = f"persona_id IN ({', '.join(str(int(i)) for i in persona_ids)})"
        async with self._lock:
            if await purge(self.path, TABLE, table, where) is not None:
                self._table, self._ann = None, False  # reopened with its indices

    async def count(self, persona_id: int | None = None) -> int:
        """Chunks of one persona, or of all."""
        table = await self._open()
        where = None if persona_id is None else f"persona_id = {int(persona_id)}"
        return int(await table.count_rows(where))

    async def by_vector(
        self, persona_id: int, docs: Sequence[int], vector: np.ndarray, k: int
    ) -> list[ChunkHit]:
        """The nearest chunks of these documents of a persona (score: cosine similarity)."""
        table = await self._open()
        rows = await (
            table.vector_search(vector.astype(np.float32).tolist())
            .distance_type("cosine")
            .where(f"persona_id = {int(persona_id)}")
            .select(["doc_id", "n", "text", "source", "_distance"])
            .limit(k)
            .to_list()
        )
        return [_hit(r, 1.0 - float(r["_distance"])) for r in _known(rows, docs)]

    async def by_text(
        self, persona_id: int, docs: Sequence[int], query: str, k: int
    ) -> list[ChunkHit]:
        """The chunks of these documents of a persona matching the (stemmed) words of
        `query` (score: BM25)."""
        if not query.strip():
            return []
        table = await self._open()
        try:
            rows = await (
                table.query()
                .nearest_to_text(query)
                .where(f"persona_id = {int(persona_id)}")
                .select(["doc_id", "n", "text", "source", "_score"])
                .limit(k)
                .to_list()
            )
        except Exception as exc:  # a query of only stop words or symbols
            log.debug("knowledge fts query failed: %s", exc)
            return []
        return [_hit(r, float(r["_score"])) for r in _known(rows, docs)]


def _known(rows: list[dict[str, Any]], docs: Sequence[int]) -> list[dict[str, Any]]:
    # Filtered here rather than in LanceDB's `where`: an IN list there cost retrieval ~2 ms
    # at 50,000 chunks, and strays are rare enough that the over-fetch covers them.
    wanted = set(docs)
    return [r for r in rows if int(r["doc_id"]) in wanted]


def _hit(row: dict[str, Any], score: float) -> ChunkHit:
    chunk = Chunk(int(row["doc_id"]), int(row["n"]), row["text"], row["source"])
    return ChunkHit(chunk, score)
