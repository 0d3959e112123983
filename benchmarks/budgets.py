"""What budget checks cost a turn, and whether 200 users at once are refused exactly right.

1. Per turn: Budgets.turn() for one user, with every limit off (the default) and with every
   limit on (a message bucket, tokens per day and month for the user and the space), on a
   SQLite file holding 50,000 usage rows of 1,000 users, 300 of them chatting, each every
   15 s on average (a simulated clock); p50/p95/mean and CPU per check.
2. 200 users send 25 messages each, all at once, with messages_per_minute 20: exactly 20 of
   each user's are let through, and every refusal names the limit.

python benchmarks/budgets.py [--turns 2000]
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

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.budgets import Budgets  # noqa: E402
from bot.config import BudgetsConfig  # noqa: E402
from bot.context import Context  # noqa: E402
from bot.errors import LimitExceeded  # noqa: E402
from bot.messages import Who  # noqa: E402
from storage.budgets import BudgetRepo  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.identities import Identities  # noqa: E402

USERS = 1000
ACTIVE = 300  # users chatting during the run
GAP_S = 15.0  # seconds between one user's messages, on average
SIM = [1_000_000.0]  # the simulated clock, in seconds
NOW = datetime(2026, 12, 6, 18, 0)
ON = BudgetsConfig(
    messages_per_minute=1_000_000,
    tokens_per_day=10**9,
    tokens_per_month=10**9,
    space_tokens_per_day=10**9,
    space_tokens_per_month=10**9,
    spoken_chars_per_day=0,
    concurrent_turns_per_space=1000,
)
OFF = BudgetsConfig(
    messages_per_minute=0,
    tokens_per_day=0,
    tokens_per_month=0,
    space_tokens_per_day=0,
    space_tokens_per_month=0,
    spoken_chars_per_day=0,
    concurrent_turns_per_space=0,
)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def ctx(user: int, space: int = 1) -> Context:
    return Context(Who("bench", str(user), "U", str(space), "group", False), user, space, False)


async def seed(path: Path) -> Database:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    rng = random.Random(5)
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO users (id, platform, platform_user_id, display_name, created_at)"
            " VALUES (?, 'bench', ?, '', '2026-01-01')",
            [(i, str(i)) for i in range(1, USERS + 1)],
        )
        conn.execute(
            "INSERT INTO spaces (id, platform, platform_space_id, kind, created_at)"
            " VALUES (1, 'bench', '1', 'group', '2026-01-01')"
        )
        conn.executemany(
            "INSERT INTO usage_log (user_id, space_id, persona_name, model, kind, characters,"
            " prompt_tokens, completion_tokens, created_at) VALUES (?, 1, 'p', 'm', 'chat', 0,"
            " ?, ?, ?)",
            [
                (
                    rng.randint(1, USERS),
                    rng.randint(100, 900),
                    rng.randint(10, 200),
                    (NOW - timedelta(hours=rng.randint(0, 24 * 45))).isoformat(" "),
                )
                for _ in range(50_000)
            ],
        )
    return db


async def per_turn(db: Database, cfg: BudgetsConfig, label: str, turns: int) -> None:
    """Chat as it comes: ACTIVE users in random order, each writing every GAP_S on average
    (a simulated clock moves GAP_S / ACTIVE per turn), each reply spending 600 tokens."""
    sim = SIM  # one clock for every run: the buckets in the file carry over
    budgets = Budgets(
        BudgetRepo(db), Identities(db), cfg, clock=lambda: NOW, seconds=lambda: sim[0]
    )
    rng = random.Random(11)
    lat, cpu = [], []
    for _ in range(turns):
        who = ctx(rng.randint(1, ACTIVE))
        sim[0] += GAP_S / ACTIVE
        t, c = time.perf_counter(), time.process_time()
        async with budgets.turn(who):
            lat.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
            budgets.spent(who, 600)  # the reply, stored, as Core does
    print(
        f"{label:28} p50 {statistics.median(lat) * 1000:.2f} ms  p95 {pct(lat, 95) * 1000:.2f} ms"
        f"  mean {statistics.mean(lat) * 1000:.2f} ms  CPU {statistics.mean(cpu) * 1000:.2f} ms"
        " per turn",
        flush=True,
    )


async def crowd(db: Database) -> None:
    cfg = OFF.model_copy(update={"messages_per_minute": 20})
    at = SIM[0] + 3600  # a moment later, frozen: no bucket refills during the burst
    budgets = Budgets(BudgetRepo(db), Identities(db), cfg, clock=lambda: NOW, seconds=lambda: at)

    async def one(user: int) -> str:
        try:
            async with budgets.turn(ctx(user, 2)):
                return "ok"
        except LimitExceeded as exc:
            return exc.message

    started = time.perf_counter()
    users = range(2001, 2201)
    results = await asyncio.gather(*(one(u) for u in users for _ in range(25)))
    took = time.perf_counter() - started
    let = results.count("ok")
    named = all("budgets.messages_per_minute" in r for r in results if r != "ok")
    per_user = {u: results[i * 25 : (i + 1) * 25].count("ok") for i, u in enumerate(users)}
    exact = set(per_user.values()) == {20}
    print(
        f"200 users x 25 messages at once, 20 a minute allowed: {let} let through"
        f" ({'exactly 20 each' if exact else 'NOT 20 each: ' + str(set(per_user.values()))}),"
        f" {len(results) - let} refused{' naming the limit' if named else ''}, in {took:.1f} s",
        flush=True,
    )


async def main(turns: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pb-budgets-"))
    db = await seed(tmp / "b.db")
    for _ in range(2):  # alternating, so the machine's drift hits both alike
        await per_turn(db, OFF, "every limit off (default)", turns)
        await per_turn(db, ON, "every limit on", turns)
    for label, only in (
        ("messages_per_minute only", {"messages_per_minute": 10**6}),
        ("user tokens day+month only", {"tokens_per_day": 10**9, "tokens_per_month": 10**9}),
        (
            "space tokens day+month only",
            {"space_tokens_per_day": 10**9, "space_tokens_per_month": 10**9},
        ),
    ):
        await per_turn(db, OFF.model_copy(update=only), label, turns)
    await crowd(db)
    await db.close()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--turns", type=int, default=2000)
    asyncio.run(main(ap.parse_args().turns))
