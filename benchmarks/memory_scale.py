"""Memory latency and scale: recall p50/p95/p99 and remember throughput at 10k-1M items.

Items are spread over 10,000 owners. Bulk loads write SQL rows and LanceDB rows with random unit
vectors (the model's time is measured separately, on real text, so the load stays minutes, not
hours); every recall embeds its query with the real offline model. Run:
python benchmarks/memory_scale.py [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import MemoryConfig
from bot.memory.embeddings import LocalMiniLM
from bot.memory.service import MemoryService
from storage.db import Database
from storage.keys import OwnerKey
from storage.memory_repo import MemoryRepo
from storage.vectors import VectorRow, VectorStore

OWNERS = 10_000
WORDS = [
    "tea",
    "coffee",
    "dog",
    "cat",
    "paris",
    "rome",
    "piano",
    "chess",
    "hiking",
    "sister",
    "brother",
    "birthday",
    "job",
    "nurse",
    "baker",
    "garden",
    "movie",
    "book",
    "lunch",
    "dinner",
    "trip",
    "japan",
    "lisbon",
    "porto",
    "run",
    "swim",
]
NOW = datetime(2026, 11, 20, 12)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) / 1024 for x in f if x.startswith("VmRSS:"))


async def load(tmp: Path, size: int, rng: random.Random) -> tuple[MemoryService, list[OwnerKey]]:
    db = Database(f"sqlite+aiosqlite:///{tmp / 'm.db'}")
    await db.migrate()
    path = tmp / "m.db"
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO users (id, platform, platform_user_id, display_name, created_at)"
            " VALUES (?, 'bench', ?, '', '2026-01-01')",
            [(i, str(i)) for i in range(1, OWNERS + 1)],
        )
        conn.execute(
            "INSERT INTO personas (id, name, scope_key, display_name, traits,"
            " custom_traits, domains, created_at, updated_at, is_preset) VALUES"
            " (1, 'p', 'global', 'P', '{}', '{}', '[]', '2026-01-01', '2026-01-01', 1)"
        )
    store = VectorStore(tmp / "lancedb", 384)
    owners = [OwnerKey(i, 1) for i in range(1, OWNERS + 1)]
    batch = 50_000
    next_id = 1
    for start in range(0, size, batch):
        n = min(batch, size - start)
        rows = []
        for k in range(n):
            owner = owners[(start + k) % OWNERS]
            text = " ".join(rng.choice(WORDS) for _ in range(8))
            at = NOW - timedelta(days=rng.randint(0, 365))
            rows.append((next_id, owner, text, at))
            next_id += 1
        with sqlite3.connect(path) as conn:
            conn.executemany(
                "INSERT INTO memory_items (id, user_id, persona_id, kind, text, importance,"
                " strength, tier, pinned, status, created_at, recall_count) VALUES"
                " (?, ?, ?, 'episode', ?, 0.5, 1.0, 'hot', 0, 'active', ?, 0)",
                [(i, o.user_id, o.persona_id, t, a.isoformat(" ")) for i, o, t, a in rows],
            )
        vectors = np.random.default_rng(start).standard_normal((n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        await store.add(
            [
                VectorRow(i, o, "episode", t, a, v)
                for (i, o, t, a), v in zip(rows, vectors, strict=True)
            ]
        )
    await store.optimize()
    await store.close()  # a compaction the load started in the background ends first
    service = MemoryService(
        MemoryRepo(db), store, LocalMiniLM(), MemoryConfig(), clock=lambda: NOW
    )
    service.db = db  # type: ignore[attr-defined]
    return service, owners


async def main(sizes: list[int]) -> None:
    rng = random.Random(3)
    print(
        f"{'items':>9} {'load s':>7} {'recall p50':>11} {'p95':>7} {'p99':>7} "
        f"{'embed p50':>10} {'remember/s':>11} {'x10 conc/s':>11} {'RSS MB':>7}"
    )
    for size in sizes:
        tmp = Path(tempfile.mkdtemp(prefix="pb-scale-"))
        t0 = time.perf_counter()
        memory, owners = await load(tmp, size, rng)
        load_s = time.perf_counter() - t0
        await memory.recall(owners[0], "warm up", 6, now=NOW)
        embeds, lat = [], []
        for _ in range(200):
            owner = rng.choice(owners)
            query = " ".join(rng.choice(WORDS) for _ in range(5))
            t = time.perf_counter()
            await memory.embed(query)
            embeds.append(time.perf_counter() - t)
            t = time.perf_counter()
            await memory.recall(owner, query, 6, now=NOW)
            lat.append(time.perf_counter() - t)
        t = time.perf_counter()
        for i in range(200):
            await memory.remember(
                rng.choice(owners), f"new memory number {i} about {WORDS[i % 24]}"
            )
        seq = 200 / (time.perf_counter() - t)
        t = time.perf_counter()
        await asyncio.gather(
            *(
                memory.remember(rng.choice(owners), f"concurrent memory {i} about {WORDS[i % 24]}")
                for i in range(200)
            )
        )
        conc = 200 / (time.perf_counter() - t)
        print(
            f"{size:>9,} {load_s:>7.0f} {statistics.median(lat) * 1000:>9.1f}ms "
            f"{pct(lat, 95) * 1000:>5.1f}ms {pct(lat, 99) * 1000:>5.1f}ms "
            f"{statistics.median(embeds) * 1000:>8.1f}ms {seq:>11.0f} {conc:>11.0f} "
            f"{rss_mb():>7.0f}",
            flush=True,
        )
        await memory.settle()
        await memory.db.close()  # type: ignore[attr-defined]


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000")
    asyncio.run(main([int(s) for s in ap.parse_args().sizes.split(",")]))
