"""One LanceDB root shared by several workers: on a local folder and on an S3-compatible server
on loopback (moto), several processes write at once and nothing is lost or mixed up."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from storage.keys import OwnerKey
from storage.knowledge_index import Chunk, KnowledgeIndex
from storage.lance_location import LanceLocation
from storage.vectors import VectorRow, VectorStore
from tests.support.lance_writer import DIM, rows
from tests.support.process import ROOT
from tests.support.s3 import with_credentials

WRITERS = 3
ROWS = 40


async def _worker(root: LanceLocation, who: int, n: int, mode: str) -> list[int]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.lance_writer",
        root.uri,
        json.dumps(root.options),
        str(who),
        str(n),
        mode,
        cwd=ROOT,
        env=with_credentials(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 300)
    assert proc.returncode == 0, err.decode()[-2000:]
    return list(json.loads(out.decode().strip().splitlines()[-1]))


async def _writers_at_once(root: LanceLocation) -> None:
    results = await asyncio.gather(
        *(_worker(root, who, ROWS, "add") for who in range(1, WRITERS + 1)),
        _worker(root, 9, 6, "optimize"),  # compaction passes while the others write
    )
    store = VectorStore(root, DIM)
    for who, kept in zip(range(1, WRITERS + 1), results, strict=False):
        assert 0 < len(kept) < ROWS  # some of its rows it deleted again
        assert await store.ids(OwnerKey(who, 1)) == set(kept), f"worker {who}"
    assert await store.count() == sum(len(k) for k in results)


async def test_several_processes_write_one_local_folder_at_once(tmp_path: Path) -> None:
    await _writers_at_once(LanceLocation(str(tmp_path / "lance"), shared=True))


async def test_several_processes_write_one_object_store_at_once(s3_root: LanceLocation) -> None:
    await _writers_at_once(s3_root)


@pytest.mark.parametrize("where", ["folder", "s3"])
async def test_a_worker_sees_another_workers_rows_on_its_next_read(
    where: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """Nothing is held between reads on a shared root: a memory one worker added is found by
    the next search on another (with the row cache of a single process, it was not)."""
    root = (
        LanceLocation(str(tmp_path / "lance"), shared=True)
        if where == "folder"
        else request.getfixturevalue("s3_root")
    )
    mine, theirs = VectorStore(root, DIM), VectorStore(root, DIM)
    owner = OwnerKey(1, 1)
    first = rows(1, 0, 3)
    await mine.add(first)
    found = await mine.by_vector(owner, first[0].vector, 10)
    assert {h.id for h in found} == {r.id for r in first}
    later = rows(1, 3, 1)
    await theirs.add(later)
    found = await mine.by_vector(owner, later[0].vector, 10)
    assert found[0].id == later[0].id
    words = await mine.by_text(owner, "note 3", 10)
    assert later[0].id in {h.id for h in words}


async def test_an_erasure_on_one_worker_does_not_stop_anothers_writes(
    s3_root: LanceLocation,
) -> None:
    """An erasure rewrites the table; a worker whose handle predates it still adds (its
    append goes onto the new version) and the erased rows stay gone."""
    eraser, writer = VectorStore(s3_root, DIM), VectorStore(s3_root, DIM)
    await writer.add(rows(1, 0, 2) + rows(2, 0, 2))
    assert await eraser.count() == 4
    await eraser.erase([2], [])
    await writer.add(rows(1, 2, 1))
    assert await eraser.ids(OwnerKey(2, 1)) == set()
    assert await writer.ids(OwnerKey(1, 1)) == {1_000_000, 1_000_001, 1_000_002}


async def test_memories_and_knowledge_work_on_the_object_store(s3_root: LanceLocation) -> None:
    store = VectorStore(s3_root, DIM)
    owner, other = OwnerKey(1, 1), OwnerKey(2, 1)
    mine = rows(1, 0, 5)
    await store.add(mine + rows(2, 0, 5))
    await store.optimize()
    hits, words = await store.search(owner, "note 2", mine[2].vector, 3)
    assert hits[0].id == mine[2].id
    assert all(h.id < 2_000_000 for h in hits + words)
    await store.delete(owner, [mine[0].id])
    await store.wipe(other)
    assert await store.ids(owner) == {r.id for r in mine[1:]}
    assert await store.count(other) == 0

    index = KnowledgeIndex(s3_root, DIM)
    vectors = np.eye(DIM, dtype=np.float32)[:2]
    chunks = [Chunk(7, 0, "the lighthouse keeper", "a.md"), Chunk(7, 1, "tide tables", "a.md")]
    await index.replace(3, 7, chunks, vectors)
    await index.prepare()
    found = await index.by_vector(3, [7], vectors[1], 1)
    assert found[0].chunk.text == "tide tables"
    assert (await index.by_text(3, [7], "lighthouse", 2))[0].chunk.n == 0
    await index.erase([3])
    assert await index.count(3) == 0


def test_a_row_written_before_reaches_a_fresh_process(s3_root: LanceLocation) -> None:
    """The object store, not a process's memory, holds the rows."""

    async def write() -> None:
        await VectorStore(s3_root, DIM).add(
            [VectorRow(5, OwnerKey(4, 4), "fact", "kept", datetime(2026, 1, 1), np.ones(DIM))]
        )

    asyncio.run(write())
    code = (
        "import asyncio, json, sys\n"
        "from storage.keys import OwnerKey\n"
        "from storage.lance_location import LanceLocation\n"
        "from storage.vectors import VectorStore\n"
        "root = LanceLocation(sys.argv[1], json.loads(sys.argv[2]), shared=True)\n"
        "print(sorted(asyncio.run(VectorStore(root, 8).ids(OwnerKey(4, 4)))))\n"
    )
    import subprocess

    out = subprocess.run(
        [sys.executable, "-c", code, s3_root.uri, json.dumps(s3_root.options)],
        cwd=ROOT,
        env=with_credentials(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert out.stdout.strip() == "[5]"
