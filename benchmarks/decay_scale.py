"""The memory decay job at scale: 100k and 1M items over 10,000 owners, real SQLite + LanceDB.

Items get ages spread over a year, a few recalls, a few pinned and important ones, and 5% of the
personas a decay override. Prints the job's time (SQL update, then dropping newly archived items
from the vector index), a second run at the same instant (nothing left to do), a run a day later,
and the tier counts. Run: python benchmarks/decay_scale.py [--sizes 100000,1000000] [--no-index]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import DecayConfig  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.decay import Decay  # noqa: E402
from storage.keys import OwnerKey  # noqa: E402
from storage.vectors import VectorRow, VectorStore  # noqa: E402

OWNERS = 10_000
PERSONAS = 20
NOW = datetime(2026, 11, 20, 3, 15)


async def load(tmp: Path, size: int, index: bool) -> tuple[Database, VectorStore | None]:
    rng = random.Random(7)
    db = Database(f"sqlite+aiosqlite:///{tmp / 'm.db'}")
    await db.migrate()
    path = tmp / "m.db"
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO users (id, platform, platform_user_id, display_name, created_at)"
            " VALUES (?, 'bench', ?, '', '2026-01-01')",
            [(i, str(i)) for i in range(1, OWNERS // PERSONAS + 1)],
        )
        conn.executemany(
            "INSERT INTO personas (id, name, scope_key, display_name, traits, custom_traits,"
            " domains, created_at, updated_at, is_preset, decay) VALUES"
            " (?, ?, 'global', 'P', '{}', '{}', '[]', '2026-01-01', '2026-01-01', 1, ?)",
            [(p, f"p{p}", "linear:14" if p == 1 else "") for p in range(1, PERSONAS + 1)],
        )
    store = VectorStore(tmp / "lancedb", 384) if index else None
    batch = 50_000
    for start in range(0, size, batch):
        n = min(batch, size - start)
        rows = []
        for k in range(n):
            i = start + k + 1
            user = (i % (OWNERS // PERSONAS)) + 1
            persona = (i % PERSONAS) + 1
            created = NOW - timedelta(days=rng.uniform(0, 365))
            recalls = rng.choice((0, 0, 0, 1, 2))
            recalled = created + timedelta(days=rng.uniform(0, 30)) if recalls else None
            rows.append(
                (
                    i,
                    user,
                    persona,
                    f"memory {i}",
                    0.95 if rng.random() < 0.02 else 0.5,
                    1 if rng.random() < 0.01 else 0,
                    created.isoformat(" "),
                    recalled.isoformat(" ") if recalled else None,
                    recalls,
                )
            )
        with sqlite3.connect(path) as conn:
            conn.executemany(
                "INSERT INTO memory_items (id, user_id, persona_id, kind, text, importance,"
                " strength, tier, pinned, status, created_at, last_recalled_at, recall_count)"
                " VALUES (?, ?, ?, 'episode', ?, ?, 1.0, 'hot', ?, 'active', ?, ?, ?)",
                rows,
            )
        if store is not None:
            vectors = np.random.default_rng(start).standard_normal((n, 384)).astype(np.float32)
            await store.add(
                [
                    VectorRow(r[0], OwnerKey(r[1], r[2]), "episode", r[3], NOW, v)
                    for r, v in zip(rows, vectors, strict=True)
                ]
            )
    if store is not None:
        await store.optimize()
    return db, store


def tiers(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT tier, count(*) FROM memory_items GROUP BY tier").fetchall()
    return ", ".join(f"{t} {n:,}" for t, n in sorted(rows))


async def main(sizes: list[int], index: bool) -> None:
    for size in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="pb-decay-"))
        t0 = time.perf_counter()
        db, store = await load(tmp, size, index)
        print(f"\n{size:,} items (loaded in {time.perf_counter() - t0:.0f} s)")
        decay = Decay(db, store, DecayConfig())
        for label, when, since in (
            ("first run", NOW, None),
            ("same instant again", NOW, NOW),
            ("a day later", NOW + timedelta(days=1), NOW),
        ):
            started = time.perf_counter()
            result = await decay.run(when, since=since)
            took = time.perf_counter() - started
            print(
                f"  {label:<20} {took:6.2f} s  updated {result.updated:>9,}"
                f"  newly archived (unindexed) {result.archived:>8,}"
            )
        print(f"  tiers: {tiers(tmp / 'm.db')}")
        if store is not None:
            await store.close()
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--no-index", action="store_true", help="SQL only, no LanceDB")
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], not args.no_index))
