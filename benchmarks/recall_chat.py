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
from collections.abc import Callable
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
    "Honestly, {o}, I don't know what to say.",
    "Can you send me that link again?",
    "lol yes",
    "That reminds me, I owe you a call, {o}.",
    "Sorry, {o}, I was at work all day.",
    "Work was long today, I'm exhausted.",
]
# Small talk that reuses the facts' words: a question's words alone don't find its answer.
TOPICAL = [
    "My neighbour's {animal} was barking all night, {o}.",
    "I saw a poster for a {race} near the station.",
    "Do you think a {animal} would be happy in a small flat?",
    "Everyone at work keeps talking about where to go on holiday.",
    "My cousin wants to move to another city, {o}, can you believe it?",
    "I might sign up for some classes, not sure which yet.",
    "What's the name of that cafe we went to, {o}?",
    "My boss asked who wants to switch jobs, lol.",
]
TRIPS = ["Lisbon", "Japan", "Iceland", "Morocco", "the Alps", "Crete", "Vietnam", "Peru"]


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
    """One chat between two friends over ~a year and a half; returns turns and
    (kind, question, tags). Both friends have pets, homes and jobs (the question names whose),
    small talk reuses the facts' words, and a trip repeats a year later."""
    a, b = rng.sample(FIRST, 2)
    start = datetime(2023, rng.randint(1, 4), rng.randint(1, 25), 19, 0)
    turns: list[Turn] = []
    session_at = start

    def small(n: int) -> None:
        for _ in range(n):
            who, other = (a, b) if len(turns) % 2 == 0 else (b, a)
            line = rng.choice(SMALL if rng.random() < 0.7 else TOPICAL)
            say(who, line.format(o=other, animal=rng.choice(PETS)[0], race=rng.choice(RACES)))

    def say(who: str, text: str, tag: str = "") -> None:
        at = session_at + timedelta(minutes=2 * len(turns) % 90)
        turns.append(Turn(who, text, at, tag))

    def session(days: tuple[int, int], before: int, after: int, body: Callable[[], None]) -> None:
        nonlocal session_at
        session_at += timedelta(days=rng.randint(*days))
        small(rng.randint(before, before + 3))
        body()
        small(rng.randint(after, after + 3))

    (animal, pet), (a_animal, a_pet) = rng.sample(PETS, 2)
    if rng.random() < 0.5:  # often both have the same kind of pet: the name decides whose
        a_animal = animal
    city1, city2, a_city = rng.sample(CITIES, 3)
    job1, job2, a_job = rng.sample(JOBS, 3)
    sister = rng.choice([n for n in FIRST if n not in (a, b)])
    sister_job = rng.choice(JOBS)
    hobby = rng.choice(HOBBIES)
    race = rng.choice(RACES)
    trip1, trip2 = rng.sample(TRIPS, 2)

    session(
        (0, 0),
        5,
        4,
        lambda: (
            say(a, f"Wait, {b}, I keep forgetting, what's your {animal} called again?"),
            say(b, f"Haha {a}! {pet}. Named after a video game character.", "pet"),
            say(b, f"And yours? Still the little {a_animal}?"),
            say(a, f"Yes, {a_pet} is still with me, spoiled as ever.", "a_pet"),
        ),
    )
    session(
        (10, 25),
        4,
        4,
        lambda: (
            say(b, f"So I finally signed the lease, {a}. I'm living in {city1} now.", "city1"),
            say(a, f"Nice! I'm still stuck in {a_city}, same old flat.", "a_city"),
            say(a, "And the job?"),
            say(b, f"Still a {job1}, same hospital shifts as always.", "job1"),
        ),
    )
    race_day: list[datetime] = []
    session(
        (10, 25),
        3,
        5,
        lambda: (say(b, f"My sister {sister} is coming to stay with me next week!", "sister"),),
    )
    session(
        (15, 30),
        3,
        4,
        lambda: (
            race_day.append(session_at - timedelta(days=(session_at.weekday() - 5) % 7 or 7)),
            say(a, f"How did the weekend go, {b}?"),
            say(b, f"I ran the {race} last Saturday! Legs still hurt.", "race"),
        ),
    )
    trip_at: list[datetime] = []
    session(
        (10, 25),
        3,
        4,
        lambda: (
            trip_at.append(session_at),
            say(a, f"You look tanned, {b}! Where were you?"),
            say(b, f"Just got back from {trip1}, it was amazing.", "trip1"),
        ),
    )
    session(
        (10, 25),
        3,
        4,
        lambda: (say(b, f"Guess what, {a}: last Tuesday I started {hobby} classes.", "hobby"),),
    )
    session(
        (15, 30),
        3,
        4,
        lambda: (
            say(a, f"Is {sister} still job hunting?"),
            say(b, f"No! {sister} just got hired as a {sister_job}.", "sister_job"),
            say(a, f"Work is fine here, the {a_job} life never changes.", "a_job"),
        ),
    )
    session(
        (20, 40),
        4,
        4,
        lambda: (say(b, f"Big change, {a}: I quit and now I work as a {job2}.", "job2"),),
    )
    session(
        (20, 40),
        3,
        5,
        lambda: (
            say(b, f"We packed everything and moved from {city1} to {city2} last month.", "city2"),
        ),
    )
    session(
        (300, 330),
        3,
        4,
        lambda: (  # a year after the first trip
            trip_at.append(session_at),
            say(a, f"Back already, {b}? Where did you go this time?"),
            say(b, f"{trip2}! Even better than last year's holiday.", "trip2"),
        ),
    )
    session((10, 25), 5, 6, lambda: None)
    race_month = f"{MONTHS[race_day[0].month - 1]} {race_day[0].year}"
    trip_month = f"{MONTHS[trip_at[1].month - 1]} {trip_at[1].year}"
    first_trip_year = trip_at[0].year
    plan = [
        ("answer-in-reply", f"What is the name of {b}'s {animal}?", ["pet"]),
        ("answer-in-reply", f"What is {a}'s {a_animal} called?", ["a_pet"]),
        ("paraphrase", f"What does {b} call the pet at home?", ["pet"]),
        ("misspelled", typo(f"What is the name of {b}'s {animal}?", rng), ["pet"]),
        ("updated", f"Where does {b} live now?", ["city2"]),
        ("updated", f"What is {b}'s current job?", ["job2"]),
        ("temporal", f"What race did {b} run in {race_month}?", ["race"]),
        ("temporal", f"When did {b} start {hobby} classes?", ["hobby"]),
        ("temporal", f"Where did {b} go on holiday in {trip_month}?", ["trip2"]),
        ("temporal", f"Which trip did {b} take in {first_trip_year}?", ["trip1"]),
        ("before/after", f"Where did {b} live before the move to {city2}?", ["city1"]),
        ("multi-session", f"What does {b}'s sister do for work?", ["sister", "sister_job"]),
        ("paraphrase", f"Which town did {b} first rent a flat in?", ["city1"]),
        ("paraphrase", f"What does {a} do for a living?", ["a_job"]),
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
    await memory.settle()
    await db.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--conversations", type=int, default=20)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    asyncio.run(main(args.conversations, args.seed))
