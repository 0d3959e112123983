"""Knowledge documents: indexing throughput, retrieval latency, and what retrieval adds a turn.

1. Indexing: a generated 300-page PDF (about 330 words a page of handbook prose) goes through
   KnowledgeDocs.add — parse (pypdf), chunk (the embedding model's tokenizer), embed (the
   offline model), index (LanceDB) — on this machine's cores: pages/s and chunks/s.
2. Retrieval: the knowledge table holds N chunks (random unit vectors, handbook text) spread
   over personas at knowledge.chunks_per_persona's default (50,000) or fewer; a persona's search
   (query embedded by the real model, vector + full-text, fused) is timed: p50/p95.
   Meanwhile a 10 ms timer stands for other users' turns: how late the event loop serves it.
3. Per turn: the same search for a persona with documents, as a chat turn runs it (the query's
   embedding shared with memory, so without it), and for a persona without any.

python benchmarks/knowledge_docs.py [--pages 300] [--sizes 10000,100000] [--queries 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import KnowledgeConfig  # noqa: E402
from bot.documents import KnowledgeDocs  # noqa: E402
from bot.memory.embeddings import LocalMiniLM  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.documents import DocumentRepo  # noqa: E402
from storage.knowledge_index import Chunk, KnowledgeIndex  # noqa: E402
from tests.support.documents import pdf  # noqa: E402

WORDS = [
    "raid",
    "guild",
    "member",
    "officer",
    "loot",
    "council",
    "rule",
    "dragon",
    "potion",
    "quartermaster",
    "ledger",
    "armour",
    "healer",
    "tank",
    "ranged",
    "melee",
    "rotation",
    "cooldown",
    "boss",
    "phase",
    "wipe",
    "attendance",
    "bench",
    "roster",
    "trial",
    "promotion",
    "rank",
    "vote",
    "appeal",
    "warning",
    "strike",
    "ban",
    "channel",
    "voice",
    "event",
    "calendar",
    "signup",
    "deadline",
    "reserve",
    "gold",
    "bank",
    "repair",
    "crafting",
    "herb",
    "ore",
    "enchant",
    "gem",
    "socket",
    "weapon",
    "shield",
    "banner",
    "mount",
    "dungeon",
    "key",
    "season",
    "patch",
    "tier",
    "set",
    "bonus",
    "spec",
    "talent",
    "build",
    "guide",
    "mentor",
    "newcomer",
    "welcome",
    "schedule",
    "weekday",
    "weekend",
    "timezone",
    "server",
    "realm",
    "faction",
    "alliance",
    "horde",
    "trade",
    "auction",
]
QUERIES = [
    "how is loot shared after a raid",
    "what happens if I miss the signup deadline",
    "who decides promotions to officer",
    "can newcomers join the dragon raid",
    "where do I repair my armour for free",
    "what is the rule about voice channel during boss phase",
]


def page_text(rng: random.Random, n: int) -> str:
    """One page of handbook prose: ~330 words in short lines."""
    lines = [f"Section {n}: {rng.choice(WORDS).title()} {rng.choice(WORDS)}"]
    for _ in range(30):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(11)).capitalize() + ".")
    return "\n".join(lines)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def indexing(tmp: Path, pages: int, embedder: LocalMiniLM) -> None:
    rng = random.Random(1)
    data = pdf([page_text(rng, n) for n in range(1, pages + 1)])
    db = Database(f"sqlite+aiosqlite:///{tmp / 'k.db'}")
    await db.migrate()
    from sqlite3 import connect

    with connect(tmp / "k.db") as conn:
        conn.execute(
            "INSERT INTO personas (id, name, scope_key, display_name, traits, custom_traits,"
            " domains, created_at, updated_at, is_preset) VALUES (1, 'p', 'global', 'P', '{}',"
            " '{}', '[]', '2026-01-01', '2026-01-01', 1)"
        )
    docs = KnowledgeDocs(
        DocumentRepo(db), KnowledgeIndex(tmp / "lance", 384), embedder, KnowledgeConfig()
    )
    await embedder.embed(["warm up"])
    seen: list[str] = []

    async def progress(text: str) -> None:
        seen.append(text)

    lags: list[float] = []
    indexing_done = asyncio.Event()

    async def ticker() -> None:  # another user's turn needs the loop: how late is it served?
        while not indexing_done.is_set():
            t = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - t - 0.01)

    tick = asyncio.create_task(ticker())
    started = time.perf_counter()
    cpu = time.process_time()
    added = await docs.add(1, 1, "handbook.pdf", data, progress)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    indexing_done.set()
    await tick
    doc = added.document
    print(
        f"indexing: {doc.pages} pages ({len(data) / 1_048_576:.1f} MB PDF), {doc.chunks} chunks"
        f" in {took:.1f} s: {doc.pages / took:.1f} pages/s, {doc.chunks / took:.1f} chunks/s"
        f" (CPU {cpu:.1f} s in this process, the reader process apart;"
        f" {len(seen)} progress messages); event loop meanwhile: late by"
        f" p50 {statistics.median(lags) * 1000:.1f} ms, p99 {pct(lags, 99) * 1000:.1f} ms,"
        f" worst {max(lags) * 1000:.0f} ms",
        flush=True,
    )
    await db.close()


async def retrieval(tmp: Path, size: int, queries: int, embedder: LocalMiniLM) -> None:
    rng = random.Random(size)
    index = KnowledgeIndex(tmp / f"lance-{size}", 384)
    per_persona = min(size, KnowledgeConfig().chunks_per_persona)
    batch = 25_000
    for start in range(0, size, batch):
        n = min(batch, size - start)
        vectors = np.random.default_rng(start).standard_normal((n, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        persona = 1 + start // per_persona
        doc = 1 + start // batch
        chunks = [
            Chunk(doc, i, " ".join(rng.choice(WORDS) for _ in range(60)), f"h{doc}.pdf p.{i}")
            for i in range(n)
        ]
        await index.replace(persona, doc, chunks, vectors)
    await index.prepare()
    cfg = KnowledgeConfig()
    docs = KnowledgeDocs(_NoRepo(), index, embedder, cfg)  # type: ignore[arg-type]
    docs._docs = {1: tuple(range(1, 1 + size // batch + 1)), 999: ()}
    await docs.search(1, "warm up", cfg.top_k)
    full, turn, empty = [], [], []
    for i in range(queries):
        query = QUERIES[i % len(QUERIES)]
        t = time.perf_counter()
        await docs.search(1, query, cfg.top_k)
        full.append(time.perf_counter() - t)
        vector = (await embedder.embed([query]))[0]
        t = time.perf_counter()
        await docs.for_prompt(1, query, vector)
        turn.append(time.perf_counter() - t)
        t = time.perf_counter()
        await docs.for_prompt(999, query, vector)
        empty.append(time.perf_counter() - t)
    held = await index.count(1)
    print(
        f"{size:>9,} chunks (searched persona holds {held:,}): search p50"
        f" {statistics.median(full) * 1000:5.1f} ms p95 {pct(full, 95) * 1000:5.1f} ms"
        f" (query embedding included); per turn p50 {statistics.median(turn) * 1000:5.1f} ms"
        f" p95 {pct(turn, 95) * 1000:5.1f} ms; persona without documents"
        f" {statistics.median(empty) * 1e6:.0f} µs",
        flush=True,
    )


class _NoRepo:
    """Retrieval reads only the index; the documents' rows are not needed."""


async def main(pages: int, sizes: list[int], queries: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pb-knowledge-"))
    embedder = LocalMiniLM()
    print(f"cores: {os.cpu_count()}")
    if pages:
        await indexing(tmp, pages, embedder)
    for size in sizes:
        await retrieval(tmp, size, queries, embedder)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    a = ap.parse_args()
    asyncio.run(main(a.pages, [int(s) for s in a.sizes.split(",") if s], a.queries))
