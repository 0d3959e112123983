"""Recall ranking on transcript-shaped memories: time, speakers, hops, replies, duplicates."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.memory.ranking import conversation_names, hop_names
from bot.memory.service import MemoryService
from bot.memory.timeparse import Window, anchor, window
from tests.bot.memory.conftest import NOW, make_owners


def test_a_stated_year_is_honoured() -> None:
    assert window("what did Mira do in December 2023?", NOW) == Window(
        datetime(2023, 12, 1), datetime(2024, 1, 1)
    )
    assert window("where was I on 5 March 2024", NOW) == Window(
        datetime(2024, 3, 5), datetime(2024, 3, 6)
    )
    assert window("anything on March 5th, 2024?", NOW) == Window(
        datetime(2024, 3, 5), datetime(2024, 3, 6)
    )
    assert window("which trip did we take in 2023", NOW) == Window(
        datetime(2023, 1, 1), datetime(2024, 1, 1)
    )
    # Without a year, a month is the latest one not after the reference time.
    assert window("what happened in December?", NOW) == Window(
        datetime(2025, 12, 1), datetime(2026, 1, 1)
    )
    assert window("what happened in March?", datetime(2023, 5, 2)) == Window(
        datetime(2023, 3, 1), datetime(2023, 4, 1)
    )


def test_relative_dates_resolve_against_the_reference_time() -> None:
    then = datetime(2023, 6, 14, 18)  # a Wednesday in the conversation's own time
    assert window("what did I do last Tuesday", then) == Window(
        datetime(2023, 6, 13), datetime(2023, 6, 14)
    )
    assert window("what did we do last year?", then) == Window(
        datetime(2022, 1, 1), datetime(2023, 1, 1)
    )


def test_a_memory_told_days_after_the_window_still_counts() -> None:
    # "I ran a race last Saturday" said on 3 April is about March.
    march = window("what race did I run in March 2023?", NOW)
    assert march is not None and march.contains(datetime(2023, 4, 3))
    assert not march.contains(datetime(2023, 4, 20))


def test_before_and_after_anchor_only_on_events() -> None:
    assert anchor("where did I live before the move to Porto?") is not None
    assert anchor("before I forget, what's my dog called?") is None
    assert anchor("have we talked about this before?") is None
    assert anchor("after all, what's the point") is None


async def test_an_anchor_that_was_never_told_shifts_nothing(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    early = await memory.remember(owner, "I bought hiking boots", at=NOW - timedelta(days=90))
    late = await memory.remember(owner, "I bought a road bike", at=NOW - timedelta(days=5))
    found = await memory.recall(owner, "what did I buy before the wedding?", 2, now=NOW)
    assert {r.id for r in found} == {early.id, late.id}
    assert not any(r.in_window for r in found)


async def test_the_right_year_wins_when_the_same_month_repeats(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    first = await memory.remember_many(
        owner, [("Oskar: just got back from our trip to Lisbon!", datetime(2023, 6, 10))]
    )
    second = await memory.remember_many(
        owner, [("Oskar: just got back from our trip to Crete!", datetime(2024, 6, 12))]
    )
    for year, expected in [(2023, first[0]), (2024, second[0])]:
        [hit] = await memory.recall(
            owner, f"where did Oskar travel in June {year}?", 1, now=NOW, touch=False
        )
        assert hit.id == expected.id and hit.in_window


def test_the_conversations_own_names_are_not_hopped_to() -> None:
    texts = [
        "Mira: hey Oskar, how was your week?",
        "Oskar: busy! My sister Ana is visiting.",
        "Mira: say hi to Ana, Oskar",
        "Oskar: will do, Mira",
    ]
    ignore = conversation_names(texts)
    assert {"Mira", "Oskar"} <= ignore and "Ana" not in ignore
    assert hop_names(texts[1], "what does Oskar's sister do?", ignore) == ["Ana"]
    assert hop_names(texts[0], "how was the week?", ignore) == []


async def test_the_other_speakers_name_pulls_in_no_small_talk(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    at = NOW - timedelta(days=60)
    facts = [
        "Oskar: I adopted a puppy last week, Mira!",
        "Oskar: the puppy chewed through my shoes, Mira",
        "Oskar: Mira, I take the puppy to the vet on Fridays",
    ]
    small = ["Mira: lol", "Mira: good night!", "Mira: see you soon", "Mira: haha same"] * 2
    said = await memory.remember_many(
        owner, [(t, at + timedelta(minutes=i)) for i, t in enumerate(facts + small)]
    )
    found = await memory.recall(owner, "tell me about Oskar's puppy", 3, now=NOW, touch=False)
    assert {r.id for r in found} == {i.id for i in said[:3]}


async def test_the_hop_follows_a_name_and_ignores_the_speakers(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    at = NOW - timedelta(days=60)
    chat = [
        "Mira: hey Oskar, long time no see!",
        "Oskar: hi Mira! busy week.",
        "Mira: the weather is awful, Oskar",
        "Oskar: my sister Ana is coming to stay with me next week",
        "Mira: nice, Oskar!",
        "Oskar: lol yes Mira",
    ]
    said = await memory.remember_many(
        owner, [(t, at + timedelta(minutes=i)) for i, t in enumerate(chat)]
    )
    job = await memory.remember_many(
        owner, [("Oskar: Ana just got hired as a pilot!", at + timedelta(days=20))]
    )
    found = await memory.recall(owner, "what does Oskar's sister do?", 3, now=NOW, touch=False)
    ids = [r.id for r in found]
    assert said[3].id in ids and job[0].id in ids


async def test_a_reply_is_the_owners_next_memory_even_with_others_in_between(
    memory: MemoryService,
) -> None:
    """Live chat interleaves owners: the answer to my question is my next memory, not id+1."""
    mine, other = await make_owners(memory.db, 2, 1)  # type: ignore[attr-defined]
    at = NOW - timedelta(days=3)
    for text in ["my old dog loved the park", "the dog next door is old", "my dog's name tag"]:
        await memory.remember(mine, text, at=at - timedelta(days=9))
    asked = await memory.remember(mine, "what was the name of my old dog?", at=at)
    await memory.remember(other, "my old dog was called Rex", at=at)
    answer = await memory.remember(mine, "oh right, Bruno! so scruffy", at=at)
    found = await memory.recall(mine, "what was the name of my old dog", 2, now=NOW, touch=False)
    assert [r.id for r in found] == [asked.id, answer.id]


async def test_repeated_small_talk_takes_one_place(memory: MemoryService) -> None:
    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    for days in range(5):
        await memory.remember(owner, "lol yes, coffee again", at=NOW - timedelta(days=days))
    fact = await memory.remember(owner, "I drink my coffee black", at=NOW - timedelta(days=30))
    found = await memory.recall(owner, "coffee", 3, now=NOW, touch=False)
    assert [r.text for r in found].count("lol yes, coffee again") == 1
    assert fact.id in [r.id for r in found]


async def test_a_vector_still_being_computed_gives_the_same_recall(
    memory: MemoryService,
) -> None:
    """The chat turn hands recall its embedding task, so full-text search need not wait."""
    import asyncio

    [owner] = await make_owners(memory.db, 1, 1)  # type: ignore[attr-defined]
    for text in ["My cat is called Miso", "I live in Porto", "I play chess on Sundays"]:
        await memory.remember(owner, text, at=NOW - timedelta(days=3))
    query = "what's my cat called?"
    ready = await memory.recall(owner, query, 2, now=NOW, vector=await memory.embed(query))
    pending = asyncio.ensure_future(memory.embed(query))
    later = await memory.recall(owner, query, 2, now=NOW, vector=pending)
    assert [r.id for r in later] == [r.id for r in ready]
    assert ready[0].text == "My cat is called Miso"


def test_a_speakers_name_makes_no_line_more_important() -> None:
    from bot.memory.scoring import episode_importance

    assert episode_importance("Mira Lopez: lol yes") == episode_importance("lol yes")
    assert episode_importance("Mira: I moved to Porto") > episode_importance("Mira: lol yes")
