"""Running one job: claim its slot (once across processes), do the work, record the result."""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from personas.mood import Mood, baseline, relax
from storage.decay import Decay
from storage.job_runs import JobRuns
from storage.keys import OwnerKey
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.core import Core
    from bot.jobs.scheduler import Scheduler

log = logging.getLogger(__name__)

JOBS = ("decay", "retirement", "mood", "health", "vectors")
Work = Callable[[datetime], Awaitable[tuple[int, str]]]


@dataclass(frozen=True)
class Outcome:
    """How a fire() ended: ok, failed, or skipped (another process had the slot)."""

    job: str
    status: str
    items: int = 0
    detail: str = ""


class JobRunner:
    """The jobs of one core; time comes from `clock` (tests pass their own)."""

    def __init__(self, core: Core, clock: Callable[[], datetime] = utcnow) -> None:
        self.core = core
        self.clock = clock
        self.runs = JobRuns(core.db)
        self.scheduler: Scheduler | None = None  # set by the app when jobs run in this process
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.work: dict[str, Work] = {
            "decay": self.decay,
            "retirement": self.retirement,
            "mood": self.mood,
            "health": self.health,
            "vectors": self.vectors,
        }

    async def fire(self, job: str, slot: str | None = None) -> Outcome:
        """Run `job` for `slot` (default: this minute) unless someone already has."""
        now = self.clock()
        slot = slot or now.strftime("%Y-%m-%dT%H:%M")
        run_id = await self.runs.claim(job, slot, self.holder, now)
        if run_id is None:
            log.info("job %s: slot %s already taken, skipping", job, slot)
            return Outcome(job, "skipped")
        try:
            items, detail = await self.work[job](now)
        except Exception as exc:
            log.error("job %s failed\n%s", job, "".join(traceback.format_exception(exc)))
            await self.runs.finish(
                run_id, "failed", 0, f"{type(exc).__name__}: {exc}", self.clock()
            )
            return Outcome(job, "failed", 0, type(exc).__name__)
        await self.runs.finish(run_id, "ok", items, detail, self.clock())
        log.info("job %s: %s", job, detail)
        return Outcome(job, "ok", items, detail)

    async def decay(self, now: datetime) -> tuple[int, str]:
        """Memory decay at `now` (and unindex what earlier, unfinished runs archived)."""
        last = await self.runs.last("decay", "ok")
        vectors = self.core.memory.vectors if self.core.memory is not None else None
        result = await Decay(self.core.db, vectors, self.core.settings.memory.decay).run(
            now, since=last.started_at if last else None
        )
        detail = f"{result.updated} memories updated, {result.archived} archived"
        if result.deleted:
            detail += f", {result.deleted} deleted (retention)"
        return result.updated, detail

    async def retirement(self, now: datetime) -> tuple[int, str]:
        """Retire due personas."""
        result = await self.core.retirement.run(now)
        names = ", ".join(result.retired) or "none due"
        return len(result.retired), f"retired: {names}"

    async def mood(self, now: datetime) -> tuple[int, str]:
        """Store every mood relaxed toward its persona's baseline."""
        repo = self.core.moods.repo
        half_life = self.core.settings.mood.relax_half_life_hours
        traits: dict[int, dict[str, int]] = {}
        changed = 0
        for user_id, persona_id, emotion, intensity, since in await repo.all():
            if persona_id not in traits:
                p = await self.core.personas.get(persona_id)
                traits[persona_id] = dict(p.traits) if p else {}
            now_mood = relax(
                Mood(emotion, intensity), baseline(traits[persona_id]), since, now, half_life
            )
            if now_mood != Mood(emotion, intensity):
                await repo.set(
                    OwnerKey(user_id, persona_id), now_mood.emotion, now_mood.intensity, now
                )
                changed += 1
        return changed, f"{changed} moods relaxed"

    async def vectors(self, now: datetime) -> tuple[int, str]:
        """Compact the vector tables and fold new rows into their indices (one worker at a
        time: on a shared store no worker does it on its own)."""
        done = []
        if self.core.memory is not None:
            await self.core.memory.vectors.optimize()
            done.append("memories")
        if self.core.documents is not None:
            await self.core.documents.index.prepare()
            done.append("knowledge")
        return len(done), f"optimized: {', '.join(done) or 'nothing'}"

    async def health(self, now: datetime) -> tuple[int, str]:
        """Log the memory-health summary of every (user, persona)."""
        summary = await self.core.services.decay.summary(now)
        tiers = ", ".join(f"{t} {n}" for t, n in sorted(summary["tiers"].items()))
        detail = (
            f"{summary['owners']} (user, persona) pairs, {summary['items']} memories "
            f"({tiers or 'none'}), average strength {summary['average_strength']:.2f}, "
            f"{summary['fading']} fading within a week"
        )
        return int(summary["items"]), detail
