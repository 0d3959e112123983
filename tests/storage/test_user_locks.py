"""Workers sharing PostgreSQL take one user's turns one at a time: the per-user lock holds
across processes (advisory locks), while other users go on."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.locks import KeyedLocks
from storage.db import Database


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_one_users_turns_wait_for_each_other_across_workers(db_url: str) -> None:
    one, two = Database(db_url), Database(db_url)
    await one.migrate()
    first, second = KeyedLocks(one.user_lock), KeyedLocks(two.user_lock)  # two processes
    order: list[str] = []
    held = asyncio.Event()

    async def worker_a() -> None:
        async with first.hold(("telegram", "42")):
            held.set()
            order.append("a starts")
            await asyncio.sleep(0.3)
            order.append("a ends")

    async def worker_b() -> None:
        await held.wait()
        async with second.hold(("telegram", "42")):
            order.append("b starts")

    async def someone_else() -> None:
        await held.wait()
        async with second.hold(("telegram", "7")):
            order.append("other user")

    await asyncio.gather(worker_a(), worker_b(), someone_else())
    assert order == ["a starts", "other user", "a ends", "b starts"]
    await one.close()
    await two.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_many_first_locks_at_once_share_one_connection(db_url: str) -> None:
    """A restarted worker settles many users at once: their first locks open one connection
    to the server, not one each (that ran the server out of connections)."""
    db, watcher = Database(db_url), Database(db_url)
    await db.migrate()
    locks = KeyedLocks(db.user_lock)

    async def hold(user: int) -> None:
        async with locks.hold(("telegram", str(user))):
            await asyncio.sleep(0.05)

    await asyncio.gather(*(hold(n) for n in range(150)))
    async with watcher.sessions() as s:
        backends = await s.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        )
    assert backends is not None and backends <= 3  # the locks', the watcher's, the pool's
    await db.close()
    await watcher.close()
