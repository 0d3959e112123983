"""Budgets: each limit refuses with which limit, what is left and when it resets, stores
nothing for a refused turn, and resets; counts live in the database (a restart or a second
process sees them)."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import build_core
from bot.config import Settings
from bot.core import Core
from storage.budgets import BudgetRepo
from storage.db import Database
from storage.models import Turn, UsageLog, utcnow
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI

ALICE, BOB = who("alice"), who("bob")


class Clock:
    """The budgets' clocks, moved by the test. It starts at 22:00 of the real day: usage rows
    are stamped with the real time, so the budget's "today" must be that day too."""

    def __init__(self) -> None:
        self.now = utcnow().replace(hour=22, minute=0, second=0, microsecond=0)
        self.s = 1_000_000.0

    def move(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.s += seconds


@pytest.fixture
def clock(core: Core) -> Clock:
    c = Clock()
    core.budgets.clock = lambda: c.now
    core.budgets.seconds = lambda: c.s
    return c


async def _user_turns(core: Core) -> int:
    async with core.db.sessions() as s:
        return int(await s.scalar(select(func.count()).where(Turn.role == "user")) or 0)


@pytest.mark.parametrize("settings", [{"budgets": {"messages_per_minute": 3}}], indirect=True)
async def test_messages_per_minute_is_a_token_bucket(core: Core, clock: Clock) -> None:
    for n in range(3):
        assert not (await core.handle_text(ALICE, f"message {n}")).error
    refused = await core.handle_text(ALICE, "one too many")
    assert refused.error and refused.text == (
        "slow down: at most 3 messages a minute (budgets.messages_per_minute); "
        "0 left, the next in 20 s"
    )
    assert await _user_turns(core) == 3  # nothing stored for the refused turn
    assert not (await core.handle_text(BOB, "bob has his own bucket")).error
    clock.move(20)  # one message's worth refilled
    assert not (await core.handle_text(ALICE, "after the wait")).error
    assert (await core.handle_text(ALICE, "and again too soon")).error


@pytest.mark.parametrize("settings", [{"budgets": {"tokens_per_day": 40}}], indirect=True)
async def test_tokens_per_day_refuse_until_midnight(core: Core, clock: Clock) -> None:
    await core.handle_text(ALICE, "a long enough message to use up the day's tokens at once " * 3)
    refused = await core.handle_text(ALICE, "more please")
    assert refused.error and "of 40 model tokens today (budgets.tokens_per_day): 0 left until" in (
        refused.text
    )
    midnight = clock.now.date() + timedelta(days=1)
    assert f"{midnight:%Y-%m-%d} 00:00 UTC, in 2 h" in refused.text
    before = await _user_turns(core)
    await core.handle_text(ALICE, "still more")
    assert await _user_turns(core) == before
    usage = await core.handle_text(ALICE, "/usage")
    assert "0 of 40 tokens today left" in usage.text
    clock.move(2 * 3600 + 1)  # a new UTC day
    assert not (await core.handle_text(ALICE, "a new day")).error


@pytest.mark.parametrize("settings", [{"budgets": {"tokens_per_month": 40}}], indirect=True)
async def test_tokens_per_month_refuse_until_the_first(core: Core, clock: Clock) -> None:
    await core.handle_text(ALICE, "a long enough message to use up the month's tokens " * 3)
    refused = await core.handle_text(ALICE, "more please")
    first = (clock.now.replace(day=28) + timedelta(days=4)).replace(day=1)
    assert f"(budgets.tokens_per_month): 0 left until {first:%Y-%m-%d} 00:00 UTC" in refused.text
    clock.move((first - clock.now).total_seconds() + 1)
    assert not (await core.handle_text(ALICE, "a new month")).error


@pytest.mark.parametrize("settings", [{"budgets": {"space_tokens_per_day": 40}}], indirect=True)
async def test_a_spaces_tokens_per_day_are_shared_by_everyone_there(
    core: Core, clock: Clock
) -> None:
    alice, bob = who("alice", "g1", "group"), who("bob", "g1", "group")
    await core.handle_text(alice, "@bot a long enough message to use up the place's tokens " * 3)
    refused = await core.handle_text(bob, "@bot my turn?")
    assert refused.error and refused.text.startswith("This place has used")
    assert "(budgets.space_tokens_per_day)" in refused.text
    assert not (await core.handle_text(BOB, "elsewhere is fine")).error


@pytest.mark.parametrize(
    "settings", [{"budgets": {"concurrent_turns_per_space": 1}}], indirect=True
)
async def test_concurrent_turns_per_space(core: Core, fake_llm: FakeOpenAI) -> None:
    alice, bob = who("alice", "g1", "group"), who("bob", "g1", "group")
    fake_llm.server.hang_s = 1.0
    fake_llm.fail_next("hang")
    first = asyncio.create_task(core.handle_text(alice, "@bot take your time"))
    await asyncio.sleep(0.3)
    refused = await core.handle_text(bob, "@bot me too")
    assert refused.error and refused.text == (
        "1 replies are being written here already (budgets.concurrent_turns_per_space): "
        "try again in a moment"
    )
    assert not (await first).error
    assert not (await core.handle_text(bob, "@bot now?")).error


@pytest.mark.parametrize("settings", [{"budgets": {"spoken_chars_per_day": 10}}], indirect=True)
async def test_spoken_characters_per_day_leave_the_reply_as_text(core: Core) -> None:
    await core.handle_text(ALICE, "/voice on")
    reply = await core.handle_text(ALICE, "say something long enough to pass ten characters")
    assert not reply.error and not reply.attachments
    assert "(not spoken: 0 of your 10 spoken characters today are used" in reply.text


@pytest.mark.parametrize("settings", [{"budgets": {"messages_per_minute": 5}}], indirect=True)
async def test_limits_set_show_and_reset(core: Core, clock: Clock) -> None:
    root, dm = who("root"), ALICE
    shown = await core.handle_text(dm, "/limits show")
    assert "messages_per_minute: 5 (config)" in shown.text
    looser = await core.handle_text(dm, "/limits set messages_per_minute 50")
    assert looser.error and "may only go lower" in looser.text
    assert (
        "messages_per_minute for this place: 1"
        in (await core.handle_text(dm, "/limits set messages_per_minute 1")).text
    )
    assert "messages_per_minute: 1 (space)" in (await core.handle_text(dm, "/limits show")).text
    await core.handle_text(dm, "one")
    assert (await core.handle_text(dm, "two")).error
    member = await core.handle_text(dm, "/limits set tokens_per_day 5 user=bob")
    assert member.error and "bot admins" in member.text
    set_user = await core.handle_text(root, "/limits set messages_per_minute 100 user=alice")
    assert "for user alice: 100" in set_user.text
    assert "messages_per_minute: 100 (user)" in (await core.handle_text(dm, "/limits show")).text
    clock.move(1)  # a raised limit refills faster; it grants no tokens by itself
    assert not (await core.handle_text(dm, "three")).error
    assert (
        "Reset 1 limit of user alice"
        in (await core.handle_text(root, "/limits reset user=alice")).text
    )
    assert "Reset 1 limit of this place" in (await core.handle_text(dm, "/limits reset")).text
    assert "messages_per_minute: 5 (config)" in (await core.handle_text(dm, "/limits show")).text


async def test_buckets_hold_across_restarts_and_processes(tmp_path: Path) -> None:
    """Two databases objects on one file (as two processes would hold) take from one bucket at
    once: exactly its capacity is granted; a third, opened later, still sees it empty."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    one, two = Database(url), Database(url)
    await one.migrate()
    repos = [BudgetRepo(one), BudgetRepo(two)]
    takes = [repos[i % 2].take("msg:user:1", 10, 10 / 60, 1000.0) for i in range(40)]
    granted = [t for t in await asyncio.gather(*takes) if t is not None]
    assert len(granted) == 10
    await one.close()
    await two.close()
    later = Database(url)
    assert await BudgetRepo(later).take("msg:user:1", 10, 10 / 60, 1001.0) is None
    assert await BudgetRepo(later).take("msg:user:1", 10, 10 / 60, 1006.0) is not None
    await later.close()


@pytest.mark.parametrize("settings", [{"budgets": {"messages_per_minute": 2}}], indirect=True)
async def test_a_restarted_bot_keeps_counting(settings: Settings) -> None:
    first = build_core(settings)
    await first.start()
    await first.handle_text(ALICE, "one")
    await first.handle_text(ALICE, "two")
    await first.close()
    second = build_core(settings)
    await second.start()
    try:
        assert (await second.handle_text(ALICE, "three")).error
    finally:
        await second.close()


@pytest.mark.parametrize("settings", [{"budgets": {"messages_per_minute": 2}}], indirect=True)
async def test_a_redone_or_continued_reply_spends_from_the_same_bucket(
    core: Core, clock: Clock
) -> None:
    await core.handle_text(ALICE, "hello")
    assert not (await core.handle_text(ALICE, "/regen")).error
    refused = await core.handle_text(ALICE, "/continue")
    assert refused.error and "budgets.messages_per_minute" in refused.text
    assert (await core.regenerate(ALICE)).error  # the 🔄 button too
    clock.move(30)
    assert not (await core.handle_text(ALICE, "/continue")).error


async def test_another_processs_spending_is_seen_within_a_minute(
    tmp_path: Path, clock: Clock, core: Core
) -> None:
    """A user's token totals are held for budgets.USER_S, with this process's replies added:
    what another process spends for them in that time is seen once it passes."""
    core.budgets.cfg = core.budgets.cfg.model_copy(update={"tokens_per_day": 1_000})
    assert not (await core.handle_text(ALICE, "hello")).error  # totals read and held
    uid = (await core.context(ALICE)).user_id
    async with core.db.write() as s:  # another process's reply for her: 5,000 tokens
        s.add(UsageLog(user_id=uid, prompt_tokens=5_000, completion_tokens=0))
        await s.commit()
    assert not (await core.handle_text(ALICE, "still held")).error
    clock.move(61)
    refused = await core.handle_text(ALICE, "now read again")
    assert refused.error and "tokens today (budgets.tokens_per_day)" in refused.text


async def test_the_bucket_is_taken_at_once_unless_another_writer_holds_the_file(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")
    await db.migrate()
    repo = BudgetRepo(db)
    done, row = db.try_now("SELECT 1", {})
    assert done and row == (1,)
    other = sqlite3.connect(tmp_path / "b.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process mid-write
    assert db.try_now("UPDATE rate_buckets SET tokens = tokens", {}) == (False, None)
    waiting = asyncio.ensure_future(repo.take("k", 2, 1 / 60, 100.0))  # the async road waits
    await asyncio.sleep(0.2)
    assert not waiting.done()
    other.execute("COMMIT")
    assert await waiting == 1.0
    assert await repo.take("k", 2, 1 / 60, 100.0) == 0.0  # at once again
    assert await repo.take("k", 2, 1 / 60, 100.0) is None
    other.close()
    await db.close()
