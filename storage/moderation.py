"""Reports of personas, and the personas moderation took down."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from storage.community_models import PersonaReport
from storage.db import Database
from storage.models import PersonaRow


@dataclass(frozen=True)
class Reported:
    """Open reports of one persona, grouped for admins."""

    persona_id: int
    name: str
    display_name: str
    space_id: int | None
    report_ids: tuple[int, ...]
    reasons: tuple[str, ...]
    first: datetime


class ModerationRepo:
    """Reports (one open report per reporter and persona) and the taken-down list."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def report(self, persona_id: int, reporter_id: int, space_id: int, reason: str) -> int:
        """File a report; 0 when this reporter has one open on this persona already."""
        async with self._write() as s:
            open_one = await s.scalar(
                select(PersonaReport.id).where(
                    PersonaReport.persona_id == persona_id,
                    PersonaReport.reporter_id == reporter_id,
                    PersonaReport.status == "open",
                )
            )
            if open_one is not None:
                return 0
            row = PersonaReport(
                persona_id=persona_id, reporter_id=reporter_id, space_id=space_id, reason=reason
            )
            s.add(row)
            await s.commit()
            return row.id

    async def open_reports(self, space_id: int | None) -> list[Reported]:
        """Open reports, by persona, oldest first (`space_id` None: everywhere)."""
        query = (
            select(PersonaReport, PersonaRow.name, PersonaRow.display_name, PersonaRow.space_id)
            .join(PersonaRow, PersonaRow.id == PersonaReport.persona_id)
            .where(PersonaReport.status == "open")
            .order_by(PersonaReport.id)
        )
        if space_id is not None:
            query = query.where(PersonaReport.space_id == space_id)
        async with self._sessions() as s:
            rows = (await s.execute(query)).all()
        grouped: dict[int, list[tuple[PersonaReport, str, str, int | None]]] = {}
        for report, name, display, where in rows:
            grouped.setdefault(report.persona_id, []).append((report, name, display, where))
        return [
            Reported(
                pid,
                items[0][1],
                items[0][2],
                items[0][3],
                tuple(r.id for r, *_ in items),
                tuple(r.reason for r, *_ in items),
                items[0][0].created_at,
            )
            for pid, items in grouped.items()
        ]

    async def close(self, persona_id: int, status: str) -> int:
        """Close every open report of a persona ("acted"); how many there were."""
        async with self._write() as s:
            done = await s.execute(
                update(PersonaReport)
                .where(PersonaReport.persona_id == persona_id, PersonaReport.status == "open")
                .values(status=status)
            )
            await s.commit()
            return int(done.rowcount or 0)  # type: ignore[attr-defined]

    async def dismiss(self, report_id: int, space_id: int | None) -> bool:
        """Close one open report without action (`space_id`: only one filed there)."""
        where = [PersonaReport.id == report_id, PersonaReport.status == "open"]
        if space_id is not None:
            where.append(PersonaReport.space_id == space_id)
        async with self._write() as s:
            done = await s.execute(update(PersonaReport).where(*where).values(status="dismissed"))
            await s.commit()
            return bool(done.rowcount)  # type: ignore[attr-defined]

    async def taken_down(self, space_id: int | None) -> list[tuple[int, str, str, str]]:
        """(id, name, by, reason) of personas moderation took down (`space_id`: shared there)."""
        query = select(
            PersonaRow.id, PersonaRow.name, PersonaRow.moderated, PersonaRow.moderation_reason
        ).where(PersonaRow.moderated != "")
        if space_id is not None:
            query = query.where(PersonaRow.space_id == space_id)
        async with self._sessions() as s:
            rows = (await s.execute(query.order_by(PersonaRow.id))).all()
            return [(int(i), str(n), str(by), str(why)) for i, n, by, why in rows]
