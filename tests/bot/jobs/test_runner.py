"""Jobs: each slot runs once across processes, runs are recorded, admins list and run them."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from adapters.collecting import CollectingAdapter
from bot.app import build_core
from bot.config import Settings
from bot.core import Core
from bot.jobs.runner import JOBS, JobRunner
from bot.jobs.scheduler import Scheduler, fire_job, sync_url
from tests.conftest import who

NOW = datetime(2026, 11, 20, 3, 15)


async def test_two_processes_run_a_slot_once(core: Core, settings: Settings) -> None:
    other = build_core(settings)  # a second process on the same database
    await other.start()
    try:
        mine = JobRunner(core, clock=lambda: NOW)
        theirs = JobRunner(other, clock=lambda: NOW)
        outcomes = await asyncio.gather(mine.fire("health"), theirs.fire("health"))
        assert sorted(o.status for o in outcomes) == ["ok", "skipped"]
        runs = await mine.runs.of("health")
        assert len(runs) == 1 and runs[0].status == "ok" and runs[0].ended_at == NOW
        assert "pairs" in runs[0].detail
    finally:
        await other.close()


async def test_every_run_is_recorded_and_failures_say_so(core: Core) -> None:
    runner = JobRunner(core, clock=lambda: NOW)

    async def broken(now: datetime) -> tuple[int, str]:
        raise RuntimeError("disk on fire")

    runner.work["mood"] = broken
    failed = await runner.fire("mood", slot="a")
    assert failed.status == "failed"
    [run] = await runner.runs.of("mood")
    assert run.status == "failed" and run.detail == "RuntimeError: disk on fire"
    assert (await runner.fire("decay", slot="a")).status == "ok"
    assert (await runner.fire("decay", slot="a")).status == "skipped"


async def test_schedules_are_persisted_in_the_database(core: Core, settings: Settings) -> None:
    scheduler = Scheduler(core.jobs, settings.scheduler, settings.db_url, key="test-a")
    scheduler.start()
    try:
        assert all(scheduler.next_run(job) is not None for job in JOBS)
    finally:
        scheduler.shutdown()
    engine = create_engine(sync_url(settings.db_url))  # the job store's own road, any dialect
    with engine.connect() as db:
        stored = {r[0] for r in db.execute(text("SELECT id FROM apscheduler_jobs"))}
    engine.dispose()
    assert stored == set(JOBS)  # they survive the process
    again = Scheduler(core.jobs, settings.scheduler, settings.db_url, key="test-b")
    again.start()
    try:
        assert again.aps is not None and {j.id for j in again.aps.get_jobs()} == set(JOBS)
        await fire_job("test-b", "health")
        assert (await core.jobs.runs.last("health")) is not None
    finally:
        again.shutdown()
    assert sync_url("sqlite+aiosqlite:////x/y.db") == "sqlite:////x/y.db"
    assert sync_url("postgresql+asyncpg://u@h:5432/d") == "postgresql+psycopg://u@h:5432/d"


async def test_admins_list_and_run_jobs(user: Callable[..., CollectingAdapter]) -> None:
    root, alice = user("root"), user("alice")
    refused = await alice.say("/jobs list")
    assert refused.error and "only bot admins" in refused.text
    ran = await root.say("/jobs run decay")
    assert ran.text.startswith("decay: ok — 0 memories updated")
    listing = (await root.say("/jobs list")).text
    for job in JOBS:
        assert f"  {job} [" in listing
    assert "last: ok at" in listing and "never ran" in listing


async def test_the_mood_job_stores_relaxed_moods(core: Core) -> None:
    from storage.keys import OwnerKey
    from storage.moods import MoodRepo

    ctx = await core.context(who("alice"))
    persona = await core.personas.find(ctx, "coder")  # calm baseline
    owner = OwnerKey(ctx.user_id, persona.id)
    repo = MoodRepo(core.db)
    await repo.set(owner, "anger", 80.0, NOW)
    runner = JobRunner(core, clock=lambda: NOW.replace(hour=9, minute=15))  # six hours later
    outcome = await runner.fire("mood")
    assert outcome.detail == "1 moods relaxed"
    emotion, intensity, when = await repo.get(owner)  # type: ignore[misc]
    assert emotion == "anger" and abs(intensity - 40.0) < 1e-6 and when.hour == 9


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_the_vectors_job_compacts_a_shared_store_once(
    core: Core, settings: Settings, user: Callable[..., CollectingAdapter]
) -> None:
    """Beside PostgreSQL no worker compacts on its own; the job does, in one worker."""
    assert core.memory is not None and settings.vectors_location.shared
    ana = user("ana")
    for n in range(3):
        await ana.say(f"I keep bees number {n} in the orchard")
    if core.extractor is not None:
        await core.extractor.wait()
    table = await core.memory.vectors._open()
    assert table is not None

    async def unindexed() -> int:
        return sum(i.num_unindexed_rows for i in await table.list_indices())

    assert await unindexed() > 0  # written, not yet folded in: nobody compacted
    other = build_core(settings)
    await other.start()
    try:
        outcomes = await asyncio.gather(
            JobRunner(core, clock=lambda: NOW).fire("vectors"),
            JobRunner(other, clock=lambda: NOW).fire("vectors"),
        )
        assert sorted(o.status for o in outcomes) == ["ok", "skipped"]
        assert await unindexed() == 0
    finally:
        await other.close()
