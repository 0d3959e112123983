"""The inbox on a real database: stamps arriving together share a commit, none is lost, and
an update is taken once."""

from __future__ import annotations

import asyncio

from sqlalchemy import event

from storage.db import Database
from storage.inbox import InboxRepo, Kept


async def test_concurrent_stamps_share_commits_and_each_one_lands(db_url: str) -> None:
    db = Database(db_url)
    await db.migrate()
    inbox = InboxRepo(db)
    await inbox.keep("telegram", [Kept(n, f'{{"update_id": {n}}}') for n in range(1, 61)])
    await inbox.keep("discord", [Kept(1, "{}")])  # same id, other platform: stamped apart
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
    updates = [Kept(n, f'{{"update_id": {n}}}') for n in range(1, 31)]
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


async def test_a_senders_earlier_unfinished_updates_are_found_in_order(db_url: str) -> None:
    """What a worker holding a user's turn settles first: that user's updates from before,
    taken (begun by a worker that died) or not — never another user's, never later ones."""
    db = Database(db_url)
    await db.migrate()
    inbox = InboxRepo(db)
    await inbox.keep(
        "telegram",
        [Kept(n, f"p{n}", "ana" if n % 2 else "bo") for n in range(1, 11)],
    )
    await inbox.take("telegram", 1)
    await inbox.done("telegram", 3)
    await inbox.take("telegram", 5)
    found = await inbox.earlier("telegram", "ana", 9)
    assert [(u.update_id, u.payload, u.taken) for u in found] == [
        (1, "p1", True),
        (5, "p5", True),
        (7, "p7", False),
    ]
    assert [u.update_id for u in await inbox.earlier("telegram", "bo", 5)] == [2, 4]
    await db.close()
