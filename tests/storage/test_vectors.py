"""The LanceDB index on a real folder: exact owner keys, and compaction that bulk loads reach."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

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
