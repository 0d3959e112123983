"""Recall quality on a deterministic synthetic long-conversation set, through the public API.

Each of 30 users talks to one persona over six simulated months: small talk, facts stated once,
facts later updated, two-step (multi-hop) facts and repeated dated activities. Questions carry
the ids of the turns holding the answer. Prints recall@5, recall@10 and NDCG@10 of evidence
turns per question type, for vector-only, full-text-only, hybrid, and hybrid + re-scoring.
Run: python benchmarks/recall_quality.py [--users N]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import MemoryConfig
from bot.memory.embeddings import LocalMiniLM
from bot.memory.service import MODES, MemoryService
from storage.db import Database
from storage.identities import Identities
from storage.keys import OwnerKey
from storage.memory_repo import MemoryRepo
from storage.personas import PersonaRepo
from storage.vectors import VectorStore

START = datetime(2026, 5, 1, 9, 0)
NOW = START + timedelta(days=180)

PETS = ["Miso", "Pixel", "Biscuit", "Nala", "Rex", "Tofu", "Olive", "Mochi"]
CITIES = ["Porto", "Leeds", "Kraków", "Valencia", "Ghent", "Tartu", "Bergen", "Lyon"]
JOBS = ["nurse", "welder", "architect", "teacher", "data engineer", "baker", "pilot", "lawyer"]
FOODS = ["ramen", "lasagna", "tacos", "dumplings", "paella", "curry", "pierogi", "falafel"]
HOBBIES = ["climbing", "chess", "pottery", "rowing", "salsa", "birdwatching", "knitting"]
NAMES = ["Ana", "Tomas", "Ines", "Lukas", "Mira", "Oskar", "Priya", "Sven"]
SMALL = [
    "haha that's funny",
    "ok thanks",
    "what's the weather like for a walk?",
    "good morning!",
    "I'm a bit tired today",
    "can you suggest a film?",
    "tell me a joke",
    "nice, thanks!",
    "how do I boil an egg?",
    "what's a good name for a plant?",
    "I had a long day",
    "do you like music?",
    "that makes sense",
    "let's talk tomorrow",
]


@dataclass
class Question:
    kind: str  # single | updated | multi-hop | temporal
    text: str
    evidence: set[int] = field(default_factory=set)  # memory ids holding the answer


async def build(memory: MemoryService, owner: OwnerKey, rng: random.Random) -> list[Question]:
    """One user's six months; returns the questions with evidence ids."""
    t = START
    turns: list[tuple[str, datetime, str]] = []  # (text, at, tag)

    def say(text: str, tag: str = "") -> None:
        nonlocal t
        t += timedelta(hours=rng.randint(5, 60))
        turns.append((text, t, tag))

    def chatter(n: int) -> None:
        for _ in range(n):
            say(rng.choice(SMALL))

    pet, city1, city2 = rng.choice(PETS), *rng.sample(CITIES, 2)
    job1, job2 = rng.sample(JOBS, 2)
    sister, sister_job = rng.choice(NAMES), rng.choice(JOBS)
    hobby = rng.choice(HOBBIES)
    chatter(6)
    say(f"My dog is called {pet}, he is a very good boy", "pet")
    chatter(8)
    say(f"I live in {city1} at the moment", "city1")
    chatter(5)
    say(f"I work as a {job1}", "job1")
    chatter(7)
    say(f"My sister is {sister}", "sister")
    chatter(9)
    say(f"{sister} works as a {sister_job} in a big firm", "sister_job")
    chatter(6)
    say(f"I started doing {hobby} on weekends", "hobby")
    chatter(10)
    say(f"Big news: I moved to {city2}!", "city2")
    chatter(6)
    say(f"I changed jobs, now I'm a {job2}", "job2")
    chatter(5)
    say("I'm off on a trip to Japan tomorrow, so excited", "trip")
    chatter(4)
    # Dated, repeated activity: cooking, with one right answer per time window.
    dishes = rng.sample(FOODS, 4)
    cook_tags = []
    for i, dish in enumerate(dishes):
        chatter(3)
        say(f"Tonight I cooked {dish} for dinner", f"cook{i}")
        cook_tags.append(f"cook{i}")
    # Push time so the last cooking is last week.
    last_cook_at = turns[[tg for _, _, tg in turns].index("cook3")][1]
    shift = (NOW - timedelta(days=NOW.weekday() + 4)) - last_cook_at
    turns = [(x, at + shift if at >= last_cook_at else at, tg) for x, at, tg in turns]
    before_trip = [tg for _, _, tg in turns]
    items = await memory.remember_many(owner, [(x, at) for x, at, _ in turns])
    ids = {tg: i.id for (_, _, tg), i in zip(turns, items, strict=True) if tg}
    assert before_trip
    return [
        Question("single", "What is my dog's name?", {ids["pet"]}),
        Question("single", "What hobby do I do on weekends?", {ids["hobby"]}),
        Question("updated", "Which city do I live in now?", {ids["city2"]}),
        Question("updated", "What is my job these days?", {ids["job2"]}),
        Question(
            "multi-hop", "What does my sister do for a living?", {ids["sister"], ids["sister_job"]}
        ),
        Question("temporal", "What did I cook last week?", {ids["cook3"]}),
        Question("temporal", "What job did I have before the trip?", {ids["job2"]}),
    ]


def ndcg(ranked: list[int], relevant: set[int], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, x in enumerate(ranked[:k]) if x in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


async def main(users: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pb-recall-"))
    db = Database(f"sqlite+aiosqlite:///{tmp / 'r.db'}")
    await db.migrate()
    memory = MemoryService(
        MemoryRepo(db),
        VectorStore(tmp / "lancedb", 384),
        LocalMiniLM(),
        MemoryConfig(),
        clock=lambda: NOW,
    )
    ids = Identities(db)
    persona = await PersonaRepo(db).create(
        "global", {"name": "p", "display_name": "P", "is_preset": True}
    )
    rng = random.Random(7)
    started = time.perf_counter()
    plan: list[tuple[OwnerKey, Question]] = []
    for u in range(users):
        owner = OwnerKey(await ids.user("bench", f"user{u}"), persona.id)
        plan += [(owner, q) for q in await build(memory, owner, rng)]
    await memory.vectors.optimize()
    load = time.perf_counter() - started
    total = await memory.vectors.count()
    print(f"{users} users, {total} memories, {len(plan)} questions (built in {load:.1f}s)")
    print(f"{'mode':16} {'type':10} {'R@5':>6} {'R@10':>6} {'NDCG@10':>8}")
    for mode in MODES:
        scores: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for owner, q in plan:
            found = await memory.recall(owner, q.text, 10, now=NOW, mode=mode, touch=False)
            ranked = [r.id for r in found]
            r5 = len(q.evidence & set(ranked[:5])) / len(q.evidence)
            r10 = len(q.evidence & set(ranked[:10])) / len(q.evidence)
            scores[q.kind].append((r5, r10, ndcg(ranked, q.evidence)))
            scores["all"].append((r5, r10, ndcg(ranked, q.evidence)))
        for kind in ("single", "updated", "multi-hop", "temporal", "all"):
            rows = scores[kind]
            avg = [sum(r[i] for r in rows) / len(rows) for i in range(3)]
            print(f"{mode:16} {kind:10} {avg[0]:6.2f} {avg[1]:6.2f} {avg[2]:8.2f}")
    await memory.settle()
    await db.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=30)
    asyncio.run(main(ap.parse_args().users))
