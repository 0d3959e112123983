"""The public memory API: remember / recall / forget, isolation, both stores kept in step."""

from __future__ import annotations

import asyncio
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import MemoryConfig
from bot.memory.service import MODES, MemoryService
from storage.db import Database
from storage.memory_repo import MemoryRepo
from storage.vectors import VectorStore
from tests.bot.memory.conftest import _EMBEDDER, NOW, Clock, make_owners

WORDS = ["cat", "dog", "tea", "paris", "piano", "hiking", "sister", "birthday", "coffee", "rome"]


async def test_recall_answers_from_the_right_memory(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    await memory.remember(owner, "My cat is called Miso", at=NOW - timedelta(days=40))
    await memory.remember(owner, "I'm allergic to peanuts", at=NOW - timedelta(days=3))
    await memory.remember(owner, "I play the piano on Sundays", at=NOW - timedelta(days=10))
    for query, expected in [
        ("what's my cat's name?", "My cat is called Miso"),
        ("which food should I avoid?", "I'm allergic to peanuts"),
        ("what instrument do I play", "I play the piano on Sundays"),
    ]:
        found = await memory.recall(owner, query, 1, now=NOW)
        assert [r.text for r in found] == [expected]


async def test_recall_strengthens_what_it_returns(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    item = await memory.remember(owner, "My sister lives in Lisbon", at=NOW - timedelta(days=5))
    [hit] = await memory.recall(owner, "where does my sister live", 1, now=NOW)
    await memory.settle()  # strengthening is written after recall answers
    [after] = await memory.repo.get(owner, [item.id])
    assert hit.id == item.id
    assert after.recall_count == 1 and after.last_recalled_at == NOW
    await memory.recall(owner, "sister", 1, now=NOW, touch=False)
    await memory.settle()
    [still] = await memory.repo.get(owner, [item.id])
    assert still.recall_count == 1  # a search that doesn't touch leaves it alone


async def test_strengthening_is_written_behind_recalls_in_one_batch(
    memory: MemoryService,
) -> None:
    """Recalls close together are strengthened by one write after them, so no recall waits
    on (or shares the loop with) the previous one's write; settle writes what is pending."""
    owners = await make_owners(memory.db, 2, 1)  # type: ignore[attr-defined]
    items = [
        await memory.remember(o, "My sister lives in Lisbon", at=NOW - timedelta(days=5))
        for o in owners
    ]
    memory.touch_delay_s = 60  # nothing is written by the clock during this test
    writes = 0
    original = memory.repo.recalled

    async def counting(touched):  # type: ignore[no-untyped-def]
        nonlocal writes
        writes += 1
        await original(touched)

    memory.repo.recalled = counting  # type: ignore[method-assign]
    for o in owners:
        await memory.recall(o, "where does my sister live", 1, now=NOW)
    await asyncio.sleep(0.05)
    before = [(await memory.repo.get(o, [i.id]))[0] for o, i in zip(owners, items, strict=True)]
    assert writes == 0 and [b.recall_count for b in before] == [0, 0]
    await memory.settle()
    after = [(await memory.repo.get(o, [i.id]))[0] for o, i in zip(owners, items, strict=True)]
    assert writes == 1 and [a.recall_count for a in after] == [1, 1]
    assert all(a.last_recalled_at == NOW for a in after)


async def test_recency_answers_questions_about_now_and_time_windows_rank_by_date(
    memory: MemoryService, clock: Clock
) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    old = await memory.remember(
        owner, "We had dinner at the Italian place", at=NOW - timedelta(days=60)
    )
    new = await memory.remember(
        owner, "We had dinner at the Thai place", at=NOW - timedelta(days=2)
    )
    # A question about the latest state prefers the newer, equally relevant memory ...
    found = await memory.recall(owner, "what's the latest place we had dinner at?", 2, now=NOW)
    assert [r.id for r in found] == [new.id, old.id]
    # ... while one that is not about recency is ranked by what it asks (age only breaks ties).
    found = await memory.recall(owner, "did we have dinner at the Italian place?", 2, now=NOW)
    assert [r.id for r in found] == [old.id, new.id]
    # "two months ago" points at the old one despite the newer, equally relevant memory.
    found = await memory.recall(owner, "where did we have dinner two months ago", 2, now=NOW)
    assert found[0].id == old.id and found[0].in_window


async def test_before_an_event_ranks_by_the_events_date(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    await memory.remember(owner, "I bought new hiking boots", at=NOW - timedelta(days=30))
    trip = await memory.remember(
        owner, "Leaving for the trip to Japan tomorrow", at=NOW - timedelta(days=20)
    )
    await memory.remember(owner, "I bought a kimono in Kyoto", at=NOW - timedelta(days=15))
    found = await memory.recall(owner, "what did I buy before the trip?", 1, now=NOW)
    assert found[0].text == "I bought new hiking boots"
    assert trip.created_at == NOW - timedelta(days=20)


async def test_forget_and_wipe_remove_from_sql_and_the_index(memory: MemoryService) -> None:
    a, b = await make_owners(memory.db, 2, 1)  # type: ignore[attr-defined]
    kept = await memory.remember(b, "b's note about tea")
    first = await memory.remember(a, "a's note about tea")
    second = await memory.remember(a, "a's note about coffee")
    assert not await memory.forget(b, first.id)  # someone else's id: refused, nothing gone
    assert await memory.vectors.ids(a) == {first.id, second.id}
    assert await memory.forget(a, first.id)
    assert first.id not in await memory.vectors.ids(a)
    assert await memory.repo.get(a, [first.id]) == []
    assert await memory.wipe(a) == 1
    assert await memory.vectors.ids(a) == set() and await memory.repo.count(a) == 0
    assert await memory.vectors.ids(b) == {kept.id}


async def test_reindex_restores_the_index_from_sql(memory: MemoryService) -> None:
    a, b = await make_owners(memory.db, 2, 1)  # type: ignore[attr-defined]
    for i in range(5):
        await memory.remember(a, f"a remembers {WORDS[i]}")
        await memory.remember(b, f"b remembers {WORDS[i]}")
    await memory.vectors.reset()  # the index is lost
    assert await memory.recall(a, "cat", 3, now=NOW) == []
    assert await memory.reindex() == 10
    found = await memory.recall(a, "a remembers cat", 3, now=NOW)
    assert found[0].text == "a remembers cat"
    assert all(r.item.owner == a for r in found)


owner_texts = st.lists(
    st.tuples(st.integers(0, 5), st.lists(st.sampled_from(WORDS), min_size=1, max_size=4)),
    min_size=1,
    max_size=25,
)


async def _isolation(entries: list[tuple[int, list[str]]], queries: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite+aiosqlite:///{Path(tmp) / 'm.db'}")
        await db.migrate()
        memory = MemoryService(
            MemoryRepo(db),
            VectorStore(Path(tmp) / "lancedb", 384),
            _EMBEDDER,
            MemoryConfig(min_relevance=-1.0),
            clock=Clock(),
        )
        owners = await make_owners(db, 3, 2)
        mine: dict[int, set[int]] = {i: set() for i in range(len(owners))}
        for who, words in entries:
            item = await memory.remember(owners[who], f"{' '.join(words)} noted by owner {who}")
            mine[who].add(item.id)
        for rebuilt in (False, True):
            if rebuilt:
                await memory.reindex()
            for i, owner in enumerate(owners):
                for query in queries:
                    for mode in MODES:
                        found = await memory.recall(owner, query, 10, now=NOW, mode=mode)
                        assert {r.id for r in found} <= mine[i], (mode, query, rebuilt)
                        assert all(r.item.owner == owner for r in found)
        await memory.settle()
        await db.close()


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    entries=owner_texts,
    queries=st.lists(st.sampled_from([*WORDS, "owner 1", "noted"]), min_size=1, max_size=3),
)
def test_no_recall_ever_returns_another_owners_item(
    entries: list[tuple[int, list[str]]], queries: list[str]
) -> None:
    asyncio.run(_isolation(entries, queries))


async def test_concurrent_first_writes_all_land(memory: MemoryService) -> None:
    owners = await make_owners(memory.db, 5, 2)  # type: ignore[attr-defined]
    items = await asyncio.gather(
        *(
            memory.remember(o, f"note {i} about {WORDS[i % len(WORDS)]}")
            for i, o in enumerate(owners)
        )
    )
    for owner, item in zip(owners, items, strict=True):
        assert await memory.vectors.ids(owner) == {item.id}


async def test_recalling_strengthens_but_never_reorders_the_next_recall(
    memory: MemoryService,
) -> None:
    """touch is for decay: what one recall returned does not climb in the next one."""
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    for days, text in enumerate(
        ["I cycle to work", "I bought a new bike", "My bike got a flat tyre", "I like trains"]
    ):
        await memory.remember(owner, text, at=NOW - timedelta(days=10 + 7 * days))
    first = await memory.recall(owner, "bike", 4, now=NOW, touch=False)
    second = first[1]  # the runner-up, recalled again and again on its own
    for _ in range(3):
        [hit] = await memory.recall(owner, second.text, 1, now=NOW)
        assert hit.id == second.id
    again = await memory.recall(owner, "bike", 4, now=NOW, touch=False)
    assert [r.id for r in again] == [r.id for r in first]
    await memory.settle()
    [item] = await memory.repo.get(owner, [second.id])
    assert item.recall_count == 3  # strengthened for decay all the same


def test_fusion_keeps_a_strong_word_match_that_one_list_missed() -> None:
    from bot.memory.scoring import fuse

    # Item 1: found only by full-text search, with a strong BM25 score (a rare word).
    # Item 2: a middling vector match that full-text search missed.
    fused = fuse({2: 0.35}, {1: 30.0})
    assert fused[1] > fused[2]
    # A weak word match (a common name) adds little to a close meaning.
    assert fuse({3: 0.6}, {3: 0.5})[3] < fuse({3: 0.6}, {3: 20.0})[3]


async def test_a_question_hit_brings_its_answer_and_only_this_owners(
    memory: MemoryService,
) -> None:
    """The question matches better than its answer (the next turn); the answer comes along."""
    mine, other = await make_owners(memory.db, 2, 1)  # type: ignore[attr-defined]
    at = NOW - timedelta(days=30)
    said = await memory.remember_many(
        mine,
        [
            ("Mira: what's your dog called again, Oskar?", at),
            ("Oskar: haha, Pixel, after a video game", at + timedelta(minutes=1)),
            ("Mira: the weather is awful today", at + timedelta(minutes=2)),
        ],
    )
    found = await memory.recall(mine, "what is Oskar's dog called?", 3, now=NOW, touch=False)
    ids = [r.id for r in found]
    assert ids.index(said[1].id) == ids.index(said[0].id) + 1  # the answer right after
    # A question whose next id belongs to someone else brings nothing of theirs.
    [asked] = await memory.remember_many(other, [("what's my cat called?", at)])
    await memory.remember_many(mine, [("Oskar: Miso is my cat", at)])
    theirs = await memory.recall(other, "what is my cat called", 3, now=NOW, touch=False)
    assert [r.id for r in theirs] == [asked.id]
