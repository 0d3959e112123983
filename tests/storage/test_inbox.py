"""The inbox on a real database: stamps arriving together share a commit, none is lost, and
an update is taken once."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from storage.db import Database
from storage.inbox import InboxRepo


async def test_concurrent_stamps_share_commits_and_each_one_lands(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    inbox = InboxRepo(db)
    await inbox.keep("telegram", [(n, f'{{"update_id": {n}}}') for n in range(1, 61)])
    await inbox.keep("discord", [(1, "{}")])  # same id, other platform: stamped apart
    commits = [0]

    def count(*_: object) -> None:
        commits[0] += 1

    event.listen(db.engine.sync_engine, "commit", count)
    await asyncio.gather(*(inbox.take("telegram", n) for n in range(1, 41)))
    assert 1 <= commits[0] < 10  # 40 stamps, a handful of transactions
    await asyncio.gather(
        *(inbox.done("telegram", n) for n in range(1, 21)),
        *(inbox.take("telegram", n) for n in range(41, 51)),
    )
    left = {u.update_id: u.taken for u in await inbox.unfinished("telegram")}
    # 1-20 done; 21-50 taken but not done; 51-60 only kept.
    assert left == {**{n: True for n in range(21, 51)}, **{n: False for n in range(51, 61)}}
    assert [(u.update_id, u.taken) for u in await inbox.unfinished("discord")] == [(1, False)]
    await db.close()


async def test_an_update_is_taken_once_whoever_asks(db_url: str) -> None:
    """Two workers (two handles on one database) get the same updates — a webhook delivered
    twice, or behind a load balancer: each update is taken by exactly one of them."""
    one, two = Database(db_url), Database(db_url)
    await one.migrate()
    first, second = InboxRepo(one), InboxRepo(two)
    updates = [(n, f'{{"update_id": {n}}}') for n in range(1, 31)]
    await asyncio.gather(first.keep("telegram", updates), second.keep("telegram", updates))
    got = await asyncio.gather(
        *(first.take("telegram", n) for n in range(1, 31)),
        *(second.take("telegram", n) for n in range(1, 31)),
    )
    for n in range(30):
        assert got[n] != got[30 + n], n  # exactly one of the two took it
    assert not await first.take("telegram", 1)  # and nobody takes it again
    await one.close()
    await two.close()
