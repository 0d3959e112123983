"""What the conversation controls cost.

1. A chat turn for users who keep five chats each, with regenerated and swiped replies in
   them, against a turn for users with one plain chat: the same core, the same loopback model
   (a separate process that answers at once), the two kinds of users in alternating rounds so
   the machine's drift hits both alike. CPU ms per turn and latency per arm.
2. The controls themselves: /regen, /swipe, /chat switch, /chat new (ms each).
3. The summariser: time to fold 50 turns of messy chat into a summary — extractive (the
   bundled model's path; no model call) and through the loopback model (our side of it).

python benchmarks/chat_controls.py [--rounds 6] [--turns 30]
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

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.turn_overhead import pct, start_server  # noqa: E402
from bot.app import build_core  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.memory.extractive import Said, summarise  # noqa: E402
from bot.messages import Who  # noqa: E402
from storage.keys import OwnerKey  # noqa: E402

USERS = 10
NAMES = ["Maya", "Jonas", "Priya", "Tom", "Lea"]
OPENERS = ["hey", "so", "ok so", "honestly", "btw", "haha", "hmm", "right,", "oh and"]
FACTS = [
    "my sister {n} is moving to Porto on {d} March",
    "I started a pottery class on Tuesdays with {n}",
    "the dentist appointment got moved to the {d}th at 9",
    "{n} said the flat on Rua Augusta costs 1450 a month",
    "I'm thinking of training for the Lisbon half marathon in October",
    "we booked the cabin near Sintra for the {d}th, {n} is bringing the dog",
    "work is rough, the Q3 report for {n} is due Friday",
    "I finally finished the book {n} lent me, the ending was odd",
]
SMALL = ["lol yes", "that's fair", "ok cool", "hmm maybe", "thanks!", "yeah I guess", "wait what"]


def who(kind: str, i: int) -> Who:
    return Who("console", f"{kind}{i}", f"{kind.title()} {i}", "local", "console")


def line(rng: random.Random) -> str:
    """One messy chat message: filler, a fact with a name and a date, or small talk."""
    if rng.random() < 0.35:
        return rng.choice(SMALL)
    fact = rng.choice(FACTS).format(n=rng.choice(NAMES), d=rng.randint(2, 28))
    return f"{rng.choice(OPENERS)} {fact}"


async def prepare(core: Core, rng: random.Random) -> None:
    """Five chats per "many" user, each with a few turns and a regenerated, swiped reply."""
    for i in range(USERS):
        for c in range(5):
            if c:
                await core.handle_text(who("many", i), f"/chat new topic {c}")
            for _ in range(3):
                await core.handle_text(who("many", i), line(rng))
            await core.handle_text(who("many", i), "/regen")
            await core.handle_text(who("many", i), "/swipe 1")
        await core.handle_text(who("plain", i), line(rng))


async def round_of(
    core: Core, kind: str, turns: int, rng: random.Random
) -> tuple[float, list[float]]:
    """`turns` messages from each user of one kind, users at once; CPU ms per turn."""
    latencies: list[float] = []

    async def one(i: int) -> None:
        for _ in range(turns):
            t0 = time.perf_counter()
            reply = await core.handle_text(who(kind, i), line(rng))
            latencies.append(time.perf_counter() - t0)
            assert not reply.error, reply.text

    cpu = time.process_time()
    await asyncio.gather(*(one(i) for i in range(USERS)))
    return (time.process_time() - cpu) / len(latencies) * 1000, latencies


async def timed(core: Core, user: Who, text: str, n: int = 20) -> float:
    """Median ms of a command."""
    spent = []
    for _ in range(n):
        t0 = time.perf_counter()
        reply = await core.handle_text(user, text)
        spent.append(time.perf_counter() - t0)
        assert not reply.error, reply.text
    return statistics.median(spent) * 1000


async def summariser(core: Core, rng: random.Random) -> None:
    """Fold 50 turns into a summary, through the model and without one."""
    window = core.settings.limits.recent_turns
    user = who("long", 0)
    for _ in range((50 + window) // 2):
        await core.handle_text(user, line(rng))
    ctx = await core.context(user)
    persona = await core.personas.active(ctx)
    owner = OwnerKey(ctx.user_id, persona.id)
    chat = await core.conversation.chat(ctx, owner)
    turns = await core.turns.older(owner, chat, None, 0, window)
    assert len(turns) >= 50, len(turns)
    said = [
        Said(t.created_at, "Ann" if t.role == "user" else "Assistant", t.content, t.role == "user")
        for t in turns[:50]
    ]
    runs = []
    for _ in range(20):
        t0 = time.perf_counter()
        text = summarise("", said, core.settings.memory.summary_chars, "Ann")
        runs.append(time.perf_counter() - t0)
    print(
        f"extractive summary of 50 turns: {statistics.median(runs) * 1000:.1f} ms "
        f"(median of 20), {len(text)} characters, {text.count(chr(10)) + 1} lines kept"
    )
    runs = []
    for _ in range(5):
        await core.summaries.forgot(owner, [0])
        cpu, t0 = time.process_time(), time.perf_counter()
        await core.summaries.summarise(owner, chat, None, "Ann", "Assistant", force=True)
        runs.append((time.perf_counter() - t0, time.process_time() - cpu))
    wall = statistics.median(r[0] for r in runs) * 1000
    cpu_ms = statistics.median(r[1] for r in runs) * 1000
    print(
        f"a whole summary pass over {min(len(turns), 120)} turns through the loopback model "
        f"(read, 1 model call per 40 turns, store, embed its recall copy): {wall:.0f} ms wall, "
        f"{cpu_ms:.0f} ms CPU — per 50 turns {cpu_ms * 50 / min(len(turns), 120):.0f} ms CPU"
    )


async def main(rounds: int, turns: int) -> None:
    server, base = start_server()
    tmp = Path(tempfile.mkdtemp(prefix="pb-controls-"))
    rng = random.Random(7)
    try:
        settings = Settings.model_validate(
            {
                "data_dir": str(tmp),
                "llm": {"model": "openai/bench", "api_base": base, "retries": 0},
                "memory": {"extraction": False},
            }
        )
        core = build_core(settings)
        await core.start()
        await prepare(core, rng)
        arms: dict[str, list[float]] = {"plain": [], "many": []}
        lat: dict[str, list[float]] = {"plain": [], "many": []}
        for r in range(rounds):
            for kind in ("plain", "many") if r % 2 == 0 else ("many", "plain"):
                cpu, got = await round_of(core, kind, turns, rng)
                await core.summaries.wait()
                arms[kind].append(cpu)
                lat[kind] += got
        print(f"{USERS} users at once, {rounds} alternating rounds of {turns} turns each")
        print(f"{'':34} {'CPU ms/turn (per round)':>40} {'p50 ms':>7} {'p95 ms':>7}")
        for kind, label in (("plain", "one chat"), ("many", "five chats, swiped replies")):
            rounds_txt = " ".join(f"{v:.1f}" for v in arms[kind])
            print(
                f"{label:34} {rounds_txt:>40} {statistics.median(lat[kind]) * 1000:>7.1f} "
                f"{pct(lat[kind], 95) * 1000:>7.1f}"
            )
        plain, many = statistics.median(arms["plain"]), statistics.median(arms["many"])
        print(
            f"median CPU ms/turn: one chat {plain:.1f}, five chats {many:.1f} "
            f"({(many - plain) / plain * 100:+.0f}%)"
        )
        user = who("many", 0)
        print(
            f"commands (median ms): /regen {await timed(core, user, '/regen'):.1f}, "
            f"/swipe 1 {await timed(core, user, '/swipe 1'):.1f}, "
            f"/chat switch 2 {await timed(core, user, '/chat switch 2'):.1f}, "
            f"/chat list {await timed(core, user, '/chat list'):.1f}"
        )
        await summariser(core, rng)
        await core.close()
    finally:
        server.terminate()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--turns", type=int, default=30)
    a = ap.parse_args()
    asyncio.run(main(a.rounds, a.turns))
