"""Persona pictures by content hash: written once, read by id."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from personas.pictures import Picture
from storage.db import Database
from storage.models import PictureRow, utcnow


class PictureRepo:
    """The `pictures` table. A picture is never changed; a persona points at another one."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write

    async def put(self, picture: Picture) -> str:
        """Store a picture unless it is already stored; returns its id."""
        async with self._write() as s:
            if await s.get(PictureRow, picture.id) is not None:
                return picture.id
            s.add(
                PictureRow(
                    id=picture.id,
                    data=picture.data,
                    mime=picture.mime,
                    width=picture.width,
                    height=picture.height,
                    created_at=utcnow(),
                )
            )
            try:
                await s.commit()
            except IntegrityError:  # another worker stored the same bytes first
                await s.rollback()
        return picture.id

    async def get(self, picture_id: str) -> Picture | None:
        """A stored picture, or None."""
        async with self._sessions() as s:
            row = await s.get(PictureRow, picture_id)
            if row is None:
                return None
            return Picture(bytes(row.data), row.mime, row.width, row.height)
