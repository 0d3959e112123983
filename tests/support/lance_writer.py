"""A worker process of the vector-sharing tests: `python -m tests.support.lance_writer ROOT
OPTIONS WHO N MODE` writes N rows as owner (WHO, 1) one small add at a time, deletes every
fifth, and prints the ids it kept (MODE add); or runs N compaction passes (MODE optimize)."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime

import numpy as np

from storage.keys import OwnerKey
from storage.lance_location import LanceLocation
from storage.vectors import VectorRow, VectorStore

DIM = 8


def rows(who: int, start: int, n: int) -> list[VectorRow]:
    """n rows of owner (who, 1), ids from who * 1_000_000 + start."""
    rng = np.random.default_rng(who * 1000 + start)
    return [
        VectorRow(
            who * 1_000_000 + start + i,
            OwnerKey(who, 1),
            "episode",
            f"worker {who} note {start + i}",
            datetime(2026, 12, 1),
            rng.standard_normal(DIM).astype(np.float32),
        )
        for i in range(n)
    ]


async def add(store: VectorStore, who: int, n: int) -> list[int]:
    kept: list[int] = []
    start = 0
    while start < n:
        size = min(1 + start % 3, n - start)
        batch = rows(who, start, size)
        await store.add(batch)
        kept += [r.id for r in batch]
        start += size
        if len(kept) % 5 == 0:
            gone = kept.pop(0)
            await store.delete(OwnerKey(who, 1), [gone])
    return kept


async def main(root: str, options: str, who: int, n: int, mode: str) -> None:
    store = VectorStore(LanceLocation(root, json.loads(options), shared=True), DIM)
    if mode == "add":
        print(json.dumps(await add(store, who, n)))
    else:
        await store.add(rows(who, 0, 1))  # the table exists before the passes
        for _ in range(n):
            await store.optimize()
            await asyncio.sleep(0.05)
        print(json.dumps([who * 1_000_000]))
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]))
