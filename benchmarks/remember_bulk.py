"""Bulk ingest: `remember_many` turns/s and the process's peak RSS while loading transcripts.

Loads the chat-shaped conversations of recall_chat.py ("Name: text", ~15-30 tokens a turn),
each conversation one `remember_many` call for its own (user, persona) owner, on a real SQLite
file and LanceDB folder with the offline embedder. Peak RSS is the whole process's high-water
mark (model, LanceDB and pyarrow included), read from the kernel after the load.
Run: uv run python benchmarks/remember_bulk.py [--conversations 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from recall_chat import conversation

from bot.config import MemoryConfig
from bot.memory.embeddings import LocalMiniLM
from bot.memory.service import MemoryService
from storage.db import Database
from storage.identities import Identities
from storage.keys import OwnerKey
from storage.memory_repo import MemoryRepo
from storage.personas import PersonaRepo
from storage.vectors import VectorStore


async def main(conversations: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pb-bulk-"))
    db = Database(f"sqlite+aiosqlite:///{tmp / 'b.db'}")
    await db.migrate()
    embedder = LocalMiniLM()
    memory = MemoryService(
        MemoryRepo(db),
        VectorStore(tmp / "lancedb", 384, optimize_every=int(os.environ.get("OPT", "50"))),
        embedder,
        MemoryConfig(),
    )
    persona = await PersonaRepo(db).create(
        "global", {"name": "p", "display_name": "P", "is_preset": True}
    )
    ids = Identities(db)
    rng = random.Random(5)
    chats = [conversation(rng)[0] for _ in range(conversations)]
    embedder.encode(["warm up"] * 8)  # load both sessions before the clock starts
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stored = 0
    started = time.perf_counter()
    for c, turns in enumerate(chats):
        owner = OwnerKey(await ids.user("bulk", f"c{c}"), persona.id)
        stored += len(
            await memory.remember_many(owner, [(f"{t.speaker}: {t.text}", t.at) for t in turns])
        )
    took = time.perf_counter() - started
    await memory.vectors.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{conversations} conversations, {stored} turns in {took:.1f} s: "
        f"{stored / took:.0f} turns/s, peak RSS {peak:.0f} MB ({before:.0f} MB before the load)"
    )
    await db.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=60)
    asyncio.run(main(ap.parse_args().conversations))
