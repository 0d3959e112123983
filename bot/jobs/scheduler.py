"""APScheduler in the bot's event loop, its jobs persisted in the project's database."""

from __future__ import annotations

import logging
from datetime import datetime

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.engine import make_url

from bot.config import SchedulerConfig
from bot.jobs.runner import JOBS, JobRunner

log = logging.getLogger(__name__)

# The job store keeps only module-level callables and plain arguments; each process maps the
# stored key to its own live runner here.
_RUNNERS: dict[str, JobRunner] = {}


async def fire_job(key: str, job: str) -> None:
    """What the persisted schedule calls."""
    runner = _RUNNERS.get(key)
    if runner is None:
        log.warning("job %s fired but no runner is registered in this process", job)
        return
    await runner.fire(job)


def sync_url(async_url: str) -> str:
    """The job store is synchronous: the same database through a blocking driver (SQLite's
    own; psycopg 3 for PostgreSQL)."""
    url = make_url(async_url)
    base = url.drivername.split("+", 1)[0]
    driver = "postgresql+psycopg" if base == "postgresql" else base
    return url.set(drivername=driver).render_as_string(hide_password=False)


class Scheduler:
    """Owns the AsyncIOScheduler for the bot's lifetime."""

    def __init__(
        self, runner: JobRunner, config: SchedulerConfig, db_url: str, key: str = "bot"
    ) -> None:
        self.runner = runner
        self.config = config
        self.db_url = db_url
        self.key = key
        self.aps: AsyncIOScheduler | None = None

    def start(self) -> None:
        """Start in the running loop and (re)write the schedules from config."""
        store = SQLAlchemyJobStore(url=sync_url(self.db_url), tablename="apscheduler_jobs")
        self.aps = AsyncIOScheduler(
            jobstores={"default": store},
            timezone=self.config.timezone,
            job_defaults={"coalesce": True, "misfire_grace_time": 3600, "max_instances": 1},
        )
        _RUNNERS[self.key] = self.runner
        self.aps.start()
        for job in JOBS:
            cron = getattr(self.config.jobs, job)
            self.aps.add_job(
                fire_job,
                CronTrigger.from_crontab(cron, timezone=self.config.timezone),
                args=[self.key, job],
                id=job,
                name=job,
                replace_existing=True,
            )
        log.info(
            "scheduler started: %s",
            ", ".join(f"{j} ({getattr(self.config.jobs, j)})" for j in JOBS),
        )

    def next_run(self, job: str) -> datetime | None:
        """When `job` fires next (None when not scheduled here)."""
        if self.aps is None:
            return None
        found = self.aps.get_job(job)
        return found.next_run_time if found is not None else None

    def shutdown(self) -> None:
        """Stop firing (running jobs finish on their own)."""
        if self.aps is not None and self.aps.running:
            self.aps.shutdown(wait=False)
        _RUNNERS.pop(self.key, None)
