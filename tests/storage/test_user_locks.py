"""Workers sharing PostgreSQL take one user's turns one at a time: the per-user lock holds
across processes (advisory locks), while other users go on."""

from __future__ import annotations

import asyncio

import pytest

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
