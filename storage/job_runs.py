"""The job run log; a unique (job, slot) makes each scheduled slot run once across processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from storage.db import Database
from storage.models import JobRun


@dataclass(frozen=True)
class RunRecord:
    """One run as /jobs list shows it."""

    job: str
    slot: str
    holder: str
    started_at: datetime
    ended_at: datetime | None
    status: str
    items: int
    detail: str


def _record(r: JobRun) -> RunRecord:
    return RunRecord(
        r.job, r.slot, r.holder, r.started_at, r.ended_at, r.status, r.items, r.detail
    )


class JobRuns:
    """Claims, results and history of job runs."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def claim(self, job: str, slot: str, holder: str, now: datetime) -> int | None:
        """Start a run for this slot; None if another process (or an earlier try) has it."""
        async with self.db.write() as s:
            run = JobRun(job=job, slot=slot, holder=holder, started_at=now)
            s.add(run)
            try:
                await s.commit()
            except IntegrityError:
                await s.rollback()
                return None
            return run.id

    async def finish(
        self, run_id: int, status: str, items: int, detail: str, now: datetime
    ) -> None:
        """Record how a run ended."""
        async with self.db.write() as s:
            await s.execute(
                update(JobRun)
                .where(JobRun.id == run_id)
                .values(status=status, items=items, detail=detail[:2000], ended_at=now)
            )
            await s.commit()

    async def last(self, job: str, status: str | None = None) -> RunRecord | None:
        """The newest run of a job (optionally: with this status)."""
        query = select(JobRun).where(JobRun.job == job)
        if status is not None:
            query = query.where(JobRun.status == status)
        async with self.db.sessions() as s:
            row = await s.scalar(query.order_by(JobRun.started_at.desc(), JobRun.id.desc()))
            return _record(row) if row is not None else None

    async def of(self, job: str, limit: int = 20) -> list[RunRecord]:
        """Recent runs of one job, newest first."""
        async with self.db.sessions() as s:
            rows = await s.scalars(
                select(JobRun)
                .where(JobRun.job == job)
                .order_by(JobRun.started_at.desc(), JobRun.id.desc())
                .limit(limit)
            )
            return [_record(r) for r in rows]
