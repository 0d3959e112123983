"""Knowledge documents in SQL: one row per (persona, name), with its text by section."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from personas.documents import Parsed, Section
from storage.db import Database
from storage.models import DocumentRow, utcnow


@dataclass(frozen=True)
class Document:
    """What a persona's document is (its text stays in SQL, its chunks in the index)."""

    id: int
    persona_id: int
    name: str
    sha256: str
    kind: str
    size: int
    pages: int
    chunks: int
    created_at: datetime
    updated_at: datetime

    def listing(self) -> dict[str, object]:
        """Name, hash and size: what exports and archives carry."""
        return {
            "name": self.name,
            "sha256": self.sha256,
            "kind": self.kind,
            "bytes": self.size,
            "pages": self.pages,
            "chunks": self.chunks,
            "added": self.created_at.isoformat(timespec="seconds"),
        }


def _doc(row: DocumentRow) -> Document:
    return Document(
        row.id,
        row.persona_id,
        row.name,
        row.sha256,
        row.kind,
        row.size,
        row.pages,
        row.chunks,
        row.created_at,
        row.updated_at,
    )


class DocumentRepo:
    """The `documents` table; every read is keyed by persona."""

    def __init__(self, db: Database) -> None:
        self._sessions = db.sessions
        self._write = db.write
        # Filling or deleting a document drops every worker's read cache (a NOTIFY at its
        # commit on PostgreSQL), so the list of what a persona holds is cached there.
        self._changing = db.write_settings
        self._cache = db.cache

    async def indexed(self, persona_id: int) -> tuple[int, ...]:
        """The ids of a persona's documents that have chunks (read once, until one changes
        on any worker)."""

        async def load() -> tuple[int, ...]:
            return tuple(d.id for d in await self.list(persona_id) if d.chunks)

        return await self._cache.get(("indexed_documents", persona_id), load)

    async def list(self, persona_id: int) -> list[Document]:
        """A persona's documents by name."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(DocumentRow)
                .where(DocumentRow.persona_id == persona_id)
                .order_by(DocumentRow.name)
            )
            return [_doc(r) for r in rows]

    async def by_name(self, persona_id: int, name: str) -> Document | None:
        """One of a persona's documents by its name (case as stored), or None."""
        async with self._sessions() as s:
            row = await s.scalar(
                select(DocumentRow).where(
                    DocumentRow.persona_id == persona_id, DocumentRow.name == name
                )
            )
            return _doc(row) if row else None

    async def by_hash(self, persona_id: int, sha256: str) -> Document | None:
        """A persona's document with exactly these bytes, or None."""
        async with self._sessions() as s:
            row = await s.scalar(
                select(DocumentRow)
                .where(DocumentRow.persona_id == persona_id, DocumentRow.sha256 == sha256)
                .limit(1)
            )
            return _doc(row) if row else None

    async def chunks(self, persona_id: int) -> int:
        """Chunks of all of a persona's documents."""
        async with self._sessions() as s:
            total = await s.scalar(
                select(func.coalesce(func.sum(DocumentRow.chunks), 0)).where(
                    DocumentRow.persona_id == persona_id
                )
            )
            return int(total or 0)

    async def reserve(self, persona_id: int, name: str, by: int) -> int:
        """The id of (persona, name): the existing row's, or a new empty row's."""
        found = await self.by_name(persona_id, name)
        if found is not None:
            return found.id
        async with self._write() as s:
            row = DocumentRow(
                persona_id=persona_id,
                name=name,
                sha256="",
                kind="",
                size=0,
                pages=0,
                chunks=0,
                sections=[],
                added_by=by,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
            s.add(row)
            await s.commit()
            return row.id

    async def fill(
        self, doc_id: int, parsed: Parsed, sha256: str, size: int, chunks: int
    ) -> Document:
        """What a document now is, once its chunks are indexed."""
        async with self._changing() as s:
            row = await s.get(DocumentRow, doc_id)
            assert row is not None
            row.sha256, row.kind, row.size = sha256, parsed.kind, size
            row.pages, row.chunks = parsed.pages, chunks
            row.sections = [[x.text, x.where] for x in parsed.sections]
            row.updated_at = utcnow()
            await s.commit()
            return _doc(row)

    async def sections(self, persona_id: int, doc_id: int) -> Parsed | None:
        """A document's text as parsed (for re-indexing), or None."""
        async with self._sessions() as s:
            row = await s.scalar(
                select(DocumentRow).where(
                    DocumentRow.persona_id == persona_id, DocumentRow.id == doc_id
                )
            )
            if row is None:
                return None
            parts = tuple(Section(text, where) for text, where in row.sections)
            return Parsed(row.kind, parts, row.pages)

    async def delete(self, persona_id: int, doc_id: int) -> None:
        """Remove one document row (its chunks are the index's to remove)."""
        async with self._changing() as s:
            await s.execute(
                delete(DocumentRow).where(
                    DocumentRow.persona_id == persona_id, DocumentRow.id == doc_id
                )
            )
            await s.commit()
