"""The LanceDB index on a real folder: exact owner keys, and compaction that bulk loads reach."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from storage.keys import OwnerKey
from storage.vectors import VectorRow, VectorStore, owner_key


def _rows(owner: OwnerKey, start: int, n: int) -> list[VectorRow]:
    vectors = np.random.default_rng(start).standard_normal((n, 8)).astype(np.float32)
    return [
        VectorRow(start + i, owner, "episode", f"note {i} about tea", datetime(2026, 1, 1), v)
        for i, v in enumerate(vectors)
    ]


async def _unindexed(store: VectorStore) -> int:
    table = await store._open()
    return sum(i.num_unindexed_rows for i in await table.list_indices())


async def test_one_bulk_add_is_compacted_like_many_small_ones(tmp_path: Path) -> None:
    """A bulk load is one add call: counting calls alone never compacted it."""
    store = VectorStore(tmp_path / "v", 8, optimize_every=50)
    owner = OwnerKey(1, 1)
    await store.add(_rows(owner, 1, 10))
    await store.optimize()
    await store.add(_rows(owner, 100, 2500))
    await store.close()  # waits for the background pass
    assert await _unindexed(store) == 0
    # Small adds below both thresholds wait for later.
    await store.add(_rows(owner, 5000, 3))
    await store.close()
    assert await _unindexed(store) > 0


def test_owner_keys_are_one_to_one_or_refused() -> None:
    assert owner_key(OwnerKey(1, 2)) != owner_key(OwnerKey(2, 1))
    assert owner_key(OwnerKey(2**32 - 1, 2**31 - 1)) < 2**63
    for bad in (OwnerKey(2**32, 1), OwnerKey(1, 2**31), OwnerKey(-1, 1)):
        with pytest.raises(ValueError):
            owner_key(bad)


async def _lancedb_nearest(
    store: VectorStore, owner: OwnerKey, query: np.ndarray, k: int
) -> list[dict[str, Any]]:
    """LanceDB's own prefiltered cosine search of this owner: what ours must match."""
    table = await store._open()
    rows: list[dict[str, Any]] = await (
        table.vector_search(query.tolist())
        .distance_type("cosine")
        .where(f"owner = {owner_key(owner)}")
        .select(["id", "_distance"])
        .limit(k)
        .to_list()
    )
    return rows


async def test_small_owners_are_ranked_exactly_as_lancedb_would_and_large_ones_by_lancedb(
    tmp_path: Path,
) -> None:
    """A small owner's rows are read and ranked in-process; the ranking must be LanceDB's own
    (same ids, same order, same cosine), other owners' rows never enter, and an owner past
    the threshold is searched by LanceDB (and remembered as large)."""
    store = VectorStore(tmp_path / "v", 8, small_owner=20)
    small, large, other = OwnerKey(1, 1), OwnerKey(2, 1), OwnerKey(1, 2)
    await store.add(_rows(small, 1, 15) + _rows(large, 100, 60) + _rows(other, 1000, 30))
    query = np.random.default_rng(7).standard_normal(8).astype(np.float32)

    async def later() -> np.ndarray:  # an embedding still on its way
        return query

    for owner, size in ((small, 15), (large, 60)):
        expected = await _lancedb_nearest(store, owner, query, 10)
        # The first search of each owner gets the vector still coming: the large owner's must
        # await it only once, then search through LanceDB.
        hits = await store.by_vector(owner, later(), 10)
        assert [h.id for h in hits] == [int(r["id"]) for r in expected]
        assert np.allclose(
            [h.score for h in hits], [1 - r["_distance"] for r in expected], atol=1e-5
        )
        assert len(await store.by_vector(owner, query, 100)) == size
    assert store._large == {owner_key(large)}
    assert [h.id for h in await store.by_vector(small, later(), 3)] == [
        h.id for h in await store.by_vector(small, query, 3)
    ]


async def test_adds_that_arrive_together_are_written_together_and_each_is_searchable(
    tmp_path: Path,
) -> None:
    """Forty turns storing their episode at once make a few fragments, not forty; every add
    is searchable when it returns, and one caller's bad rows fail only that caller."""
    store = VectorStore(tmp_path / "v", 8, optimize_every=0)
    await store.add(_rows(OwnerKey(1, 1), 1, 1))
    table = await store._open()
    before = await table.version()
    owners = [OwnerKey(u, 1) for u in range(2, 42)]
    bad = VectorRow(
        9999,
        OwnerKey(99, 1),
        "episode",
        "wrong size",
        datetime(2026, 1, 1),
        np.ones(5, dtype=np.float32),
    )
    results = await asyncio.gather(
        *(store.add(_rows(o, 100 * o.user_id, 2)) for o in owners),
        store.add([bad]),
        return_exceptions=True,
    )
    assert all(r is None for r in results[:-1])
    assert isinstance(results[-1], Exception)
    written = await table.version() - before
    assert 1 <= written < 10, written
    for o in owners:
        assert await store.ids(o) == {100 * o.user_id, 100 * o.user_id + 1}
    assert await store.ids(OwnerKey(99, 1)) == set()


async def test_held_rows_follow_every_add_delete_and_wipe_and_never_another_owner(
    tmp_path: Path,
) -> None:
    """A small owner's rows are held in memory after its first search; every later search
    must still rank exactly what LanceDB holds for that owner, through adds (also one racing
    a search), deletes, wipes, maintenance deletes, other owners' adds and eviction."""
    store = VectorStore(tmp_path / "v", 8, small_owner=50, owner_rows=60)
    mine, other, third = OwnerKey(1, 1), OwnerKey(2, 1), OwnerKey(3, 1)
    await store.add(_rows(mine, 1, 10) + _rows(other, 100, 10))
    query = np.random.default_rng(3).standard_normal(8).astype(np.float32)

    async def check(owner: OwnerKey) -> None:
        hits = await store.by_vector(owner, query, 1000)
        expected = await _lancedb_nearest(store, owner, query, 1000)
        assert [h.id for h in hits] == [int(r["id"]) for r in expected]

    await check(mine)
    assert store._owners.get(owner_key(mine)) is not None  # held from now on
    await store.add(_rows(mine, 20, 3) + _rows(other, 200, 2))
    await check(mine)
    await store.delete(mine, [1, 2, 21])
    await check(mine)
    # A search that started before an add finished must not keep rows missing it.
    await store.wipe(mine)
    await store.add(_rows(mine, 30, 2))
    gate = asyncio.Event()

    async def embedding_after_the_add() -> np.ndarray:
        await gate.wait()
        return query

    search = asyncio.ensure_future(store.by_vector(mine, embedding_after_the_add(), 5))
    await asyncio.sleep(0.2)  # its read of the rows is done; the vector is still coming
    await store.add(_rows(mine, 40, 2))
    gate.set()
    await search
    await check(mine)
    await store.delete_ids([30])
    await check(mine)
    await check(other)
    # Past the row budget the least recently used owner is let go, then read afresh.
    await store.add(_rows(third, 500, 50))
    await check(third)
    assert store._owners.get(owner_key(mine)) is None
    await store.add(_rows(mine, 60, 1))
    await check(mine)
    await check(other)
    # An owner growing past small_owner leaves memory and is searched by LanceDB.
    await store.add(_rows(third, 600, 10))
    assert store._owners.get(owner_key(third)) is None
    await check(third)
