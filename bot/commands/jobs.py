"""/jobs list|run: the scheduled jobs, for bot admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import Param, command
from bot.jobs.runner import JOBS
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services


@command(
    "jobs",
    "list",
    help="Scheduled jobs: next run and last result",
    rights="bot_admin",
    doing="see or run jobs",
)
async def jobs_list(s: Services, ctx: Context) -> Reply:
    """One block per job."""
    zone = s.settings.scheduler.timezone
    lines = [f"Jobs (last runs in UTC; schedules in config.yaml → scheduler, {zone}):"]
    for job in JOBS:
        cron = getattr(s.settings.scheduler.jobs, job)
        scheduler = s.jobs.scheduler
        upcoming = scheduler.next_run(job) if scheduler is not None else None
        nxt = f"{upcoming:%Y-%m-%d %H:%M %Z}" if upcoming else "not scheduled in this process"
        last = await s.jobs.runs.last(job)
        if last is None:
            result = "never ran"
        else:
            result = f"{last.status} at {last.started_at:%Y-%m-%d %H:%M}"
            if last.detail:
                result += f" — {last.detail}"
        lines.append(f"  {job} [{cron}] next: {nxt}; last: {result}")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "jobs",
    "run",
    help="Run a job now",
    params=(Param("job", "which job", required=True, positional=True, choices=JOBS),),
    rights="bot_admin",
    doing="see or run jobs",
)
async def jobs_run(s: Services, ctx: Context, job: str) -> Reply:
    """Run at once (its own slot, so it never collides with a scheduled run)."""
    now = s.jobs.clock()
    outcome = await s.jobs.fire(job, slot=f"manual:{now.isoformat()}")
    if outcome.status == "failed":
        return Reply(text=f"{job} failed ({outcome.detail}); see the log.", error=True)
    return Reply(text=f"{job}: {outcome.status} — {outcome.detail}", ephemeral=True)
