"""The LanceDB index of memory items: rows carry their owner; every search filters by it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from storage.keys import OwnerKey
from storage.lance_location import LanceLocation, committed, ensure_index, open_or_create
from storage.lance_purge import purge
from storage.lexical import bm25
from storage.owner_rows import OwnerRows

log = logging.getLogger(__name__)

# Lance's I/O pool, read when it first starts: a local folder on a small machine gains nothing
# from dozens of threads (a 1,000-message Telegram burst on 2 cores: ~4 ms of CPU less per
# message with 8). The environment still decides when it names a size.
os.environ.setdefault("LANCE_IO_THREADS", "8")

TABLE = "memories"
BULK_ROWS = 2000  # unindexed rows that call for a pass however few adds brought them
SMALL_OWNER = 200  # rows; up to this many, reading them all beats a prefiltered vector search
# Small owners' rows held in memory (~1.6 KB each at 384 dimensions): a turn's vector search
# then reads nothing (reading them cost 3.4 ms of LanceDB's CPU per turn).
OWNER_ROWS = 20_000


@dataclass(frozen=True)
class VectorRow:
    """What the index keeps of a memory item."""

    id: int
    owner: OwnerKey
    kind: str
    text: str
    created_at: datetime
    vector: np.ndarray


@dataclass(frozen=True)
class Hit:
    """One search result: the id, its score (cosine similarity or BM25) and the indexed text."""

    id: int
    score: float
    text: str


def owner_key(owner: OwnerKey) -> int:
    """Both ids in one int64, so one scalar index serves the owner filter exactly."""
    user, persona = int(owner.user_id), int(owner.persona_id)
    # The packing is one-to-one only inside these ranges; outside them we refuse rather than
    # let two owners share a key.
    if not (0 <= user < 1 << 32 and 0 <= persona < 1 << 31):
        raise ValueError(f"owner ids out of the indexable range: {user}, {persona}")
    return (user << 31) | persona


async def _ready(vector: np.ndarray | Awaitable[np.ndarray]) -> np.ndarray:
    return vector if isinstance(vector, np.ndarray) else await vector


def _nearest(rows: pa.Table, vector: np.ndarray, k: int) -> list[Hit]:
    """Exact cosine ranking of a few rows, best first (what a flat vector search returns)."""
    if rows.num_rows == 0:
        return []
    flat = rows.column("vector").combine_chunks().flatten().to_numpy()
    matrix = flat.reshape(rows.num_rows, -1)
    query = vector.astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1) * max(float(np.linalg.norm(query)), 1e-12)
    cosine = (matrix @ query) / np.maximum(norms, 1e-12)
    best = np.argsort(-cosine, kind="stable")[:k]
    ids, texts = rows.column("id").to_pylist(), rows.column("text").to_pylist()
    return [Hit(int(ids[i]), float(cosine[i]), texts[i]) for i in best]


def _lexical(rows: pa.Table, query: str, k: int) -> list[Hit]:
    """The rows sharing a term with `query`, by BM25 over these rows alone, best first."""
    texts = rows.column("text").to_pylist()
    scores = bm25(query, texts)
    best = np.argsort(-scores, kind="stable")[:k]
    ids = rows.column("id").to_pylist()
    return [Hit(int(ids[i]), float(scores[i]), texts[i]) for i in best if scores[i] > 0]


async def _both(
    vector: Awaitable[list[Hit]], text: Awaitable[list[Hit]]
) -> tuple[list[Hit], list[Hit]]:
    found, words = await asyncio.gather(vector, text)
    return found, words


def _settle(waiter: asyncio.Future[None], error: Exception | None) -> None:
    if waiter.done():  # its caller was cancelled
        return
    if error is None:
        waiter.set_result(None)
    else:
        waiter.set_exception(error)


async def _append(table: Any, rows: pa.Table) -> None:
    try:
        await committed(lambda: table.add(rows))
    except RuntimeError as exc:
        if "ncompatible" not in str(exc) and "onflict" not in str(exc):
            raise
        # Another worker rewrote the table (an erasure) since this handle last looked: an
        # append cannot rebase onto an overwrite, so it goes onto the newest version.
        await table.checkout_latest()
        await table.add(rows)


def _where(owner: OwnerKey) -> str:
    # Ints from our own OwnerKey, never user text: no injection through the filter. One
    # indexed equality: adding the plain user_id/persona_id columns cost 2-3 ms per search.
    return f"owner = {owner_key(owner)}"


class VectorStore:
    """Async LanceDB table `memories` under one root; cosine distance; BTREE + FTS indices.

    On a shared root (an object store, or a folder several workers use) nothing read is held
    between turns, every read sees other workers' commits, and compaction is left to the
    scheduler's `vectors` job, which one worker runs at a time."""

    def __init__(
        self,
        path: LanceLocation | Path | str,
        dim: int | None = None,
        optimize_every: int = 50,
        small_owner: int = SMALL_OWNER,
        owner_rows: int = OWNER_ROWS,
    ) -> None:
        self.path = LanceLocation.of(path)
        if self.path.shared:
            optimize_every, owner_rows = 0, 0
        self.dim = dim  # None: taken from the existing table, or from the first vector added
        self._table: Any = None
        self._lock = asyncio.Lock()  # one writer at a time; Lance commits are optimistic
        self._queued: list[tuple[list[VectorRow], asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None
        self._opening = asyncio.Lock()  # concurrent first uses must not race to create
        # Every add writes a small fragment that searches scan unindexed; compacting and
        # re-indexing every so often keeps search time flat as memories accumulate.
        self._optimize_every = optimize_every
        self._writes = 0  # add calls (fragments) since the last pass
        self._rows = 0  # rows added since the last pass
        self._threshold = optimize_every
        self._row_threshold = BULK_ROWS
        self._optimizing: asyncio.Task[None] | None = None
        self._small_owner = small_owner
        self._large: set[int] = set()  # owner keys seen holding more rows: a speed hint only
        self._owners = OwnerRows(owner_rows)

    def _schema(self) -> pa.Schema:
        return pa.schema(
            [
                pa.field("id", pa.int64()),
                pa.field("owner", pa.int64()),
                pa.field("user_id", pa.int64()),
                pa.field("persona_id", pa.int64()),
                pa.field("kind", pa.string()),
                pa.field("text", pa.string()),
                pa.field("created_at", pa.timestamp("us")),
                pa.field("vector", pa.list_(pa.float32(), self.dim)),
            ]
        )

    async def _open(self, dim: int | None = None) -> Any:
        """The table, created on first need; None while it doesn't exist and no dim is known."""
        if self._table is not None:
            return self._table
        async with self._opening:
            return await self._open_locked(dim)

    async def _open_locked(self, dim: int | None) -> Any:
        if self._table is None:
            db = await self.path.connect()
            if TABLE in (await db.list_tables()).tables:
                self._table = await db.open_table(TABLE)
                self.dim = (await self._table.schema()).field("vector").type.list_size
            elif self.dim or dim:
                self.dim = self.dim or dim
                self._table = await open_or_create(db, TABLE, self._schema())
                self.dim = (await self._table.schema()).field("vector").type.list_size
            else:
                return None
            await self._ensure_indices()
        return self._table

    async def _ensure_indices(self) -> None:
        from lancedb.index import FTS, BTree

        await ensure_index(self._table, "owner", BTree())
        # Stemmed, stop words dropped ("Mira's"/"Mira", "running"/"run"): measured on the
        # chat benchmark, full-text any@10 0.44 stemmed vs 0.24 not, the default 0.91 vs 0.85.
        config = FTS(language="English", stem=True, remove_stop_words=True, lower_case=True)
        await ensure_index(self._table, "text", config)

    def _arrow(self, rows: Sequence[VectorRow]) -> pa.Table:
        return pa.table(
            {
                "id": [r.id for r in rows],
                "owner": [owner_key(r.owner) for r in rows],
                "user_id": [r.owner.user_id for r in rows],
                "persona_id": [r.owner.persona_id for r in rows],
                "kind": [r.kind for r in rows],
                "text": [r.text for r in rows],
                "created_at": [r.created_at for r in rows],
                "vector": pa.FixedSizeListArray.from_arrays(
                    pa.array(np.concatenate([r.vector for r in rows]).astype(np.float32)), self.dim
                ),
            },
            schema=self._schema(),
        )

    async def add(self, rows: Sequence[VectorRow]) -> None:
        """Index rows (ids come from SQL); searchable once this returns. Adds that arrive
        while another is being written are written together, as one fragment."""
        if not rows:
            return
        table = await self._open(len(rows[0].vector))
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append((list(rows), done))
        if self._writer is None or self._writer.done():
            # A task of its own: a caller cancelled mid-write must not strand the others.
            self._writer = asyncio.create_task(self._write_queued(table))
        await done

    async def _write_queued(self, table: Any) -> None:
        batch: list[tuple[list[VectorRow], asyncio.Future[None]]] = []
        try:
            async with self._lock:
                while self._queued:
                    batch, self._queued = self._queued, []
                    await self._write_batch(table, batch)
        finally:  # cancelled (shutdown): no caller may wait forever
            for _, waiter in [*batch, *self._queued]:
                _settle(waiter, RuntimeError("the index writer stopped"))

    async def _write_batch(
        self, table: Any, batch: list[tuple[list[VectorRow], asyncio.Future[None]]]
    ) -> None:
        owners: list[int] = []
        try:
            rows = self._arrow([r for part, _ in batch for r in part])
            keys = rows.column("owner").to_numpy()
            owners = sorted(set(keys.tolist()))
            for key in owners:
                self._owners.writing(key)
            await _append(table, rows)
        except Exception as exc:
            for key in owners:
                self._owners.written(key, None, self._small_owner)
            if len(batch) == 1:
                _settle(batch[0][1], exc)
                return
            # One caller's bad rows must not fail the others: halves go again on their own.
            half = len(batch) // 2
            await self._write_batch(table, batch[:half])
            await self._write_batch(table, batch[half:])
            return
        for key in owners:
            self._owners.written(key, rows.filter(keys == key), self._small_owner)
        for _, waiter in batch:
            _settle(waiter, None)
        self._added(rows.num_rows)

    def _added(self, rows: int) -> None:
        """Count a write; start a compaction pass when enough have gathered."""
        # Fragments slow searches down, and so do unindexed rows: many small adds (chat turns)
        # and a few big ones (a bulk load) both lead to a pass. Compacting after every bulk
        # call instead cost a 8,500-turn load a third of its speed and 230 MB of peak RSS.
        self._writes += 1
        self._rows += rows
        due = self._writes >= max(self._optimize_every, self._threshold)
        if self._optimize_every and (due or self._rows >= self._row_threshold):
            self._writes = self._rows = 0
            if self._optimizing is None or self._optimizing.done():
                self._optimizing = asyncio.create_task(self._background_optimize())

    async def delete(self, owner: OwnerKey, ids: Sequence[int]) -> None:
        """Remove these ids of this owner."""
        if not ids:
            return
        table = await self._open()
        if table is None:
            return
        id_list = ", ".join(str(int(i)) for i in ids)
        async with self._lock, self._changing(owner_key(owner)):
            await committed(lambda: table.delete(f"{_where(owner)} AND id IN ({id_list})"))

    async def delete_ids(self, ids: Sequence[int], batch: int = 5000) -> None:
        """Remove rows by id whoever owns them (maintenance: archived memories), in batches."""
        table = await self._open()
        if table is None or not ids:
            return
        for start in range(0, len(ids), batch):
            id_list = ", ".join(str(int(i)) for i in ids[start : start + batch])
            async with self._lock:
                self._owners.clear()
                try:
                    where = f"id IN ({id_list})"
                    await committed(lambda: table.delete(where))  # noqa: B023 (awaited here)
                finally:
                    self._owners.clear()

    async def wipe(self, owner: OwnerKey) -> None:
        """Remove every row of this owner."""
        table = await self._open()
        if table is None:
            return
        async with self._lock, self._changing(owner_key(owner)):
            await committed(lambda: table.delete(_where(owner)))

    async def of_users(self, user_ids: Sequence[int]) -> list[dict[str, Any]]:
        """Every row these users own, vectors included (a user's data export)."""
        table = await self._open()
        if table is None or not user_ids:
            return []
        where = f"user_id IN ({', '.join(str(int(i)) for i in user_ids)})"
        rows = await table.query().where(where).to_list()
        return [
            {
                k: (v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in r.items()
                if k != "owner"
            }
            | {"vector": [round(float(x), 6) for x in r["vector"]]}
            for r in rows
        ]

    async def erase(self, user_ids: Sequence[int], persona_ids: Sequence[int]) -> None:
        """Remove every row of these users, and every row of these personas (whoever's)."""
        table = await self._open()
        if table is None:
            return
        parts = [
            f"{column} IN ({', '.join(str(int(i)) for i in ids)})"
            for column, ids in (("user_id", user_ids), ("persona_id", persona_ids))
            if ids
        ]
        if not parts:
            return
        async with self._lock:
            self._owners.clear()
            try:
                fresh = await purge(self.path, TABLE, table, " OR ".join(parts))
                if fresh is not None:
                    self._table = fresh
                    await self._ensure_indices()  # an overwrite starts without them
            finally:
                self._owners.clear()

    async def by_vector(
        self, owner: OwnerKey, vector: np.ndarray | Awaitable[np.ndarray], k: int
    ) -> list[Hit]:
        """This owner's nearest rows (score: cosine similarity); `vector` may still be being
        computed (a small owner's rows are read meanwhile)."""
        table = await self._open()
        if table is None:
            await _ready(vector)  # a started embedding is awaited, never left dangling
            return []
        rows, query = await self._small(table, owner, vector)
        if rows is not None:
            return _nearest(rows, query, k)
        return await self._lance_nearest(table, owner, query, k)

    async def by_text(self, owner: OwnerKey, query: str, k: int) -> list[Hit]:
        """This owner's rows matching the (stemmed) words of `query` (score: BM25; a small
        owner's with statistics over its own rows)."""
        if not query.strip():
            return []
        table = await self._open()
        if table is None:
            return []
        rows, _ = await self._small(table, owner, None)
        if rows is not None:
            return _lexical(rows, query, k)
        return await self._lance_text(table, owner, query, k)

    async def search(
        self, owner: OwnerKey, query: str, vector: np.ndarray | Awaitable[np.ndarray], k: int
    ) -> tuple[list[Hit], list[Hit]]:
        """`by_vector` and `by_text` at once: a small owner's rows are read once (while the
        query is embedded) and both rankings made from them; a large owner's full-text search
        runs while the query is embedded."""
        table = await self._open()
        if table is None:
            await _ready(vector)
            return [], []
        key = owner_key(owner)
        if key in self._large and self._owners.get(key) is None:

            async def nearest() -> list[Hit]:
                return await self._lance_nearest(table, owner, await _ready(vector), k)

            return await _both(nearest(), self._lance_text(table, owner, query, k))
        rows, found = await self._small(table, owner, vector)
        if rows is None:  # found large just now
            return await _both(
                self._lance_nearest(table, owner, found, k),
                self._lance_text(table, owner, query, k),
            )
        return _nearest(rows, found, k), _lexical(rows, query, k) if query.strip() else []

    async def _small(
        self, table: Any, owner: OwnerKey, vector: np.ndarray | Awaitable[np.ndarray] | None
    ) -> tuple[pa.Table | None, np.ndarray]:
        """A small owner's rows (held, or read while `vector` is computed; None for an owner
        past small_owner rows), and the vector, awaited."""
        key = owner_key(owner)
        no_vector = np.zeros(0, dtype=np.float32)
        held = self._owners.get(key)  # never a large owner's: those are not kept
        if held is not None or key in self._large:
            return held, no_vector if vector is None else await _ready(vector)
        # Most owners hold few rows: reading them (1.7 ms at 100k rows, while the query is
        # still being embedded) and ranking them here is exact and cheaper than LanceDB's
        # prefiltered search (2.9 ms, 3.4 ms CPU, and only once the vector is there).
        read = self._owners.begin(key)
        few: pa.Table | None = None
        try:
            if vector is None:
                few, query = await self._few(table, owner), no_vector
            else:
                few, query = await asyncio.gather(self._few(table, owner), _ready(vector))
        finally:
            small = few is not None and few.num_rows <= self._small_owner
            self._owners.end(read, few if small else None)
        assert few is not None
        if few.num_rows <= self._small_owner:
            return few, query
        self._large.add(key)  # `vector` is awaited once: a coroutine cannot be awaited again
        return None, query

    async def _lance_nearest(
        self, table: Any, owner: OwnerKey, query: np.ndarray, k: int
    ) -> list[Hit]:
        rows = await (
            table.vector_search(query.astype(np.float32).tolist())
            .distance_type("cosine")
            .where(_where(owner))  # the async API prefilters unless told .postfilter()
            .select(["id", "text", "_distance"])
            .limit(k)
            .to_list()
        )
        return [Hit(int(r["id"]), 1.0 - float(r["_distance"]), r["text"]) for r in rows]

    async def _few(self, table: Any, owner: OwnerKey) -> pa.Table:
        """Up to small_owner + 1 of this owner's rows, with their vectors."""
        return await (
            table.query()
            .where(_where(owner))
            .select(["id", "text", "vector"])
            .limit(self._small_owner + 1)
            .to_arrow()
        )

    @contextlib.asynccontextmanager
    async def _changing(self, key: int) -> AsyncIterator[None]:
        """Around a delete of this owner's rows: nothing read meanwhile is held."""
        self._owners.writing(key)
        try:
            yield
        finally:
            self._owners.written(key, None, self._small_owner)

    async def _lance_text(self, table: Any, owner: OwnerKey, query: str, k: int) -> list[Hit]:
        """LanceDB's full-text search of this owner's rows (corpus-wide statistics)."""
        try:
            rows = await (
                table.query()
                .nearest_to_text(query)
                .where(_where(owner))
                .select(["id", "text", "_score"])
                .limit(k)
                .to_list()
            )
        except Exception as exc:  # a query of only stop words or symbols: no text hits
            log.debug("fts query failed: %s", exc)
            return []
        return [Hit(int(r["id"]), float(r["_score"]), r["text"]) for r in rows]

    async def count(self, owner: OwnerKey | None = None) -> int:
        """Rows of one owner, or of everyone."""
        table = await self._open()
        if table is None:
            return 0
        return int(await table.count_rows(_where(owner) if owner else None))

    async def ids(self, owner: OwnerKey) -> set[int]:
        """Every id indexed for this owner."""
        table = await self._open()
        if table is None:
            return set()
        rows = await table.query().where(_where(owner)).select(["id"]).to_list()
        return {int(r["id"]) for r in rows}

    async def reset(self) -> None:
        """Drop and recreate the table (for a rebuild from SQL)."""
        db = await self.path.connect()
        async with self._lock:
            await db.drop_table(TABLE, ignore_missing=True)
            self._table = None  # recreated by the first add
            self._owners.clear()

    async def _background_optimize(self) -> None:
        try:
            await self.optimize()
        except Exception as exc:  # a failed compaction only costs speed, never data
            log.warning("vector index optimize failed: %s", type(exc).__name__)

    async def close(self) -> None:
        """Let running writes and a running compaction finish."""
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        if self._optimizing is not None:
            await self._optimizing

    async def optimize(self) -> None:
        """Fold new rows into the indices (FTS, BTREE) and compact small files."""
        table = await self._open()
        if table is None:
            return
        async with self._lock:
            # Old versions are only needed by readers that started before; minutes suffice.
            await committed(lambda: table.optimize(cleanup_older_than=timedelta(minutes=5)))
            # Next pass after 1% more rows (at least optimize_every inserts): at a million rows
            # a pass every 50 inserts cut remember() from ~110/s to ~30/s.
            rows = int(await table.count_rows())
            self._threshold = max(self._optimize_every, rows // 100)
            # Half again as many rows: a million-row load makes ~7 passes, not one per call.
            self._row_threshold = max(BULK_ROWS, rows // 2)
