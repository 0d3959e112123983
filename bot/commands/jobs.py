"""/jobs list|run: the scheduled jobs, for bot admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.errors import PermissionDenied
from bot.jobs.runner import JOBS
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core


def _admin(ctx: Context) -> None:
    if not ctx.bot_admin:
        raise PermissionDenied(
            f"only bot admins (admins.{ctx.who.platform} in config.yaml) can see or run jobs"
        )


@command("jobs", "list", help="Scheduled jobs: next run and last result", admin=True)
async def jobs_list(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """One block per job."""
    _admin(ctx)
    zone = core.settings.scheduler.timezone
    lines = [f"Jobs (last runs in UTC; schedules in config.yaml → scheduler, {zone}):"]
    for job in JOBS:
        cron = getattr(core.settings.scheduler.jobs, job)
        upcoming = core.scheduler.next_run(job) if core.scheduler is not None else None
        nxt = f"{upcoming:%Y-%m-%d %H:%M %Z}" if upcoming else "not scheduled in this process"
        last = await core.jobs.runs.last(job)
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
    admin=True,
)
async def jobs_run(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Run at once (its own slot, so it never collides with a scheduled run)."""
    _admin(ctx)
    now = core.jobs.clock()
    outcome = await core.jobs.fire(args["job"], slot=f"manual:{now.isoformat()}")
    if outcome.status == "failed":
        return Reply(text=f"{args['job']} failed ({outcome.detail}); see the log.", error=True)
    return Reply(text=f"{args['job']}: {outcome.status} — {outcome.detail}", ephemeral=True)
