"""Recall on conversations that look like real chat, through the public memory API.

The old synthetic set (recall_quality.py) is saturated; this one is built the way long chats
between two people are: every turn carries its speaker's name ("Mira: …"), small talk between
the facts, names dropped into every other line, facts that arrive as the *answer* to a question
(the question itself is the closer match), paraphrased and misspelled questions, dates stated
with a year ("in March 2023") and relative to the session ("last Tuesday"), facts updated in a
later session, and facts split over two sessions. Every question carries the ids of the turns
that hold its answer. Turns are stored as the long-conversation benchmark stores them:
`remember_many` with "Speaker: text" and the session's date, one (user, persona) owner per
conversation; questions are asked with `recall(k=10)` at the end of the conversation.

Prints, per mode and question category: any@10 (a question with at least one evidence turn in
the top 10), the share of evidence turns in the top 10, and NDCG@10.
Run: uv run python benchmarks/recall_chat.py [--conversations 20] [--seed 11]
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

FIRST = ["Mira", "Jonas", "Ana", "Tomas", "Priya", "Oskar", "Ines", "Lukas", "Sofia", "Emeka"]
PETS = [("dog", "Pixel"), ("cat", "Miso"), ("rabbit", "Biscuit"), ("parrot", "Kiwi")]
CITIES = ["Porto", "Leeds", "Krakow", "Valencia", "Ghent", "Tartu", "Bergen", "Lyon"]
JOBS = ["nurse", "welder", "architect", "teacher", "baker", "pilot", "lawyer", "pharmacist"]
HOBBIES = ["pottery", "rock climbing", "salsa dancing", "birdwatching", "rowing", "chess"]
RACES = ["half marathon", "10k charity run", "triathlon", "trail race"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]  # fmt: skip
SMALL = [
    "Hey {o}! How was your week?",
    "Not bad, {o}, a bit busy. You?",
    "Haha, that's so typical of you, {o}.",
    "Ugh, the weather has been awful here.",
    "Did you watch the game last night, {o}?",
    "No, I fell asleep on the sofa, lol.",
    "I need a holiday so badly.",
    "Same here. Work is wild right now.",
    "Anyway, how's your family doing, {o}?",
    "They're fine, thanks for asking!",
    "I tried a new coffee place this morning.",
    "Oh nice, was it any good?",
    "Meh, too expensive for what it is.",
    "Talk soon, {o}! Take care.",
    "Good night {o}!",
    "What are you up to this weekend?",
    "Probably nothing, just resting.",
    "Sounds like a plan, {o}.",
]


@dataclass
class Question:
    kind: str
    text: str
    evidence: set[int] = field(default_factory=set)


@dataclass
class Turn:
    speaker: str
    text: str
    at: datetime
    tag: str = ""


def typo(text: str, rng: random.Random) -> str:
    """A hurried question: a couple of letters dropped or swapped, lower case, no '?'."""
    words = text.lower().rstrip("?").split()
    for _ in range(2):
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4:
            j = rng.randrange(1, len(w) - 2)
            swapped = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
            words[i] = swapped if rng.random() < 0.5 else w[:j] + w[j + 1 :]
    return " ".join(words)


def conversation(rng: random.Random) -> tuple[list[Turn], list[tuple[str, str, list[str]]]]:
    """One chat between two friends over ~a year; returns turns and (kind, question, tags)."""
    a, b = rng.sample(FIRST, 2)
    start = datetime(2023, rng.randint(1, 4), rng.randint(1, 25), 19, 0)
    turns: list[Turn] = []
    session_at = start

    def small(n: int) -> None:
        for _ in range(n):
            who, other = (a, b) if len(turns) % 2 == 0 else (b, a)
            say(who, rng.choice(SMALL).format(o=other))

    def say(who: str, text: str, tag: str = "") -> None:
        at = session_at + timedelta(minutes=2 * len(turns) % 90)
        turns.append(Turn(who, text, at, tag))

    animal, pet = rng.choice(PETS)
    city1, city2 = rng.sample(CITIES, 2)
    job1, job2 = rng.sample(JOBS, 2)
    sister = rng.choice([n for n in FIRST if n not in (a, b)])
    sister_job = rng.choice(JOBS)
    hobby = rng.choice(HOBBIES)
    race = rng.choice(RACES)
    plan: list[tuple[str, str, list[str]]] = []

    # Session 1: pet, in the answer to a question.
    small(rng.randint(5, 8))
    say(a, f"Wait, {b}, I keep forgetting, what's your {animal} called again?")
    say(b, f"Haha {a}! {pet}. Named after a video game character.", "pet")
    small(rng.randint(4, 7))
    # Session 2: where they live and work.
    session_at += timedelta(days=rng.randint(10, 25))
    small(rng.randint(4, 7))
    say(b, f"So I finally signed the lease, {a}. I'm living in {city1} now.", "city1")
    small(rng.randint(2, 4))
    say(a, "And the job?")
    say(b, f"Still a {job1}, same hospital shifts as always.", "job1")
    small(rng.randint(4, 6))
    # Session 3: a sister, by name only.
    session_at += timedelta(days=rng.randint(10, 25))
    small(rng.randint(3, 6))
    say(b, f"My sister {sister} is coming to stay with me next week!", "sister")
    small(rng.randint(5, 8))
    # Session 4: a dated race, a relative date.
    session_at += timedelta(days=rng.randint(15, 30))
    race_day = session_at - timedelta(days=(session_at.weekday() - 5) % 7 or 7)  # last Saturday
    small(rng.randint(3, 6))
    say(a, f"How did the weekend go, {b}?")
    say(b, f"I ran the {race} last Saturday! Legs still hurt.", "race")
    small(rng.randint(4, 7))
    # Session 5: a hobby started "last Tuesday".
    session_at += timedelta(days=rng.randint(10, 25))
    small(rng.randint(3, 6))
    say(b, f"Guess what, {a}: last Tuesday I started {hobby} classes.", "hobby")
    small(rng.randint(4, 7))
    # Session 6: the sister's job (the second half of the split fact).
    session_at += timedelta(days=rng.randint(15, 30))
    small(rng.randint(3, 6))
    say(a, f"Is {sister} still job hunting?")
    say(b, f"No! {sister} just got hired as a {sister_job}.", "sister_job")
    small(rng.randint(4, 7))
    # Sessions 7-8: updates.
    session_at += timedelta(days=rng.randint(20, 40))
    small(rng.randint(4, 7))
    say(b, f"Big change, {a}: I quit and now I work as a {job2}.", "job2")
    small(rng.randint(4, 7))
    session_at += timedelta(days=rng.randint(20, 40))
    small(rng.randint(3, 6))
    say(b, f"We packed everything and moved from {city1} to {city2} last month.", "city2")
    small(rng.randint(5, 9))
    race_month = f"{MONTHS[race_day.month - 1]} {race_day.year}"
    plan = [
        ("answer-in-reply", f"What is the name of {b}'s {animal}?", ["pet"]),
        ("paraphrase", f"What does {b} call the pet at home?", ["pet"]),
        ("misspelled", typo(f"What is the name of {b}'s {animal}?", rng), ["pet"]),
        ("updated", f"Where does {b} live now?", ["city2"]),
        ("updated", f"What is {b}'s current job?", ["job2"]),
        ("temporal", f"What race did {b} run in {race_month}?", ["race"]),
        ("temporal", f"When did {b} start {hobby} classes?", ["hobby"]),
        ("multi-session", f"What does {b}'s sister do for work?", ["sister", "sister_job"]),
        ("paraphrase", f"Which town did {b} first rent a flat in?", ["city1"]),
    ]
    return turns, plan


def ndcg(ranked: list[int], relevant: set[int], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, x in enumerate(ranked[:k]) if x in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


async def main(conversations: int, seed: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pb-chat-"))
    db = Database(f"sqlite+aiosqlite:///{tmp / 'r.db'}")
    await db.migrate()
    memory = MemoryService(
        MemoryRepo(db), VectorStore(tmp / "lancedb", 384), LocalMiniLM(), MemoryConfig()
    )
    ids = Identities(db)
    persona = await PersonaRepo(db).create(
        "global", {"name": "p", "display_name": "P", "is_preset": True}
    )
    rng = random.Random(seed)
    asked: list[tuple[OwnerKey, datetime, Question]] = []
    started = time.perf_counter()
    stored = 0
    for c in range(conversations):
        turns, plan = conversation(rng)
        owner = OwnerKey(await ids.user("bench", f"chat{c}"), persona.id)
        said = [(f"{t.speaker}: {t.text}", t.at) for t in turns]
        items = await memory.remember_many(owner, said)
        stored += len(items)
        tags = {t.tag: i.id for t, i in zip(turns, items, strict=True) if t.tag}
        end = turns[-1].at + timedelta(days=1)
        asked += [(owner, end, Question(k, q, {tags[t] for t in tg})) for k, q, tg in plan]
    await memory.vectors.optimize()
    load = time.perf_counter() - started
    print(
        f"{conversations} conversations, {stored} turns, {len(asked)} questions "
        f"(stored in {load:.1f}s, {stored / load:.0f} turns/s)"
    )
    kinds = [*sorted({q.kind for _, _, q in asked}), "all"]
    runs = [(m, False) for m in MODES] + [(MODES[-1], True)]
    print(f"{'mode':24} " + " ".join(f"{k[:13]:>13}" for k in kinds))
    for mode, touch in runs:
        scores: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
        for owner, now, q in asked:
            found = await memory.recall(owner, q.text, 10, now=now, mode=mode, touch=touch)
            ranked = [r.id for r in found]
            hit = float(bool(q.evidence & set(ranked)))
            share = len(q.evidence & set(ranked)) / len(q.evidence)
            row = (hit, share, ndcg(ranked, q.evidence))
            scores[q.kind].append(row)
            scores["all"].append(row)
        label = mode + (" (touch)" if touch else "")
        cells = []
        for kind in kinds:
            rows = scores[kind]
            avg = [sum(r[i] for r in rows) / len(rows) for i in range(3)]
            cells.append(f"{avg[0]:.2f}/{avg[1]:.2f}/{avg[2]:.2f}")
        print(f"{label:24} " + " ".join(f"{c:>13}" for c in cells))
    print("cells: any@10 / share of evidence in top 10 / NDCG@10")
    await db.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    asyncio.run(main(args.conversations, args.seed))
