"""A memory service on a real SQLite file and a real LanceDB folder, with the offline embedder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import pytest

from bot.config import MemoryConfig
from bot.memory.embeddings import LocalMiniLM
from bot.memory.service import MemoryService
from storage.db import Database
from storage.identities import Identities
from storage.keys import OwnerKey
from storage.memory_repo import MemoryRepo
from storage.personas import PersonaRepo
from storage.vectors import VectorStore

NOW = datetime(2026, 11, 20, 12, 0)

_EMBEDDER = LocalMiniLM()  # loading takes a quarter second; share it across tests


class Clock:
    """An injected clock the tests move by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def make_owners(db: Database, users: int, personas: int) -> list[OwnerKey]:
    """users × personas owner keys backed by real rows."""
    ids = Identities(db)
    repo = PersonaRepo(db)
    pids = [
        (
            await repo.create(
                "global", {"name": f"p{j}", "display_name": f"P{j}", "is_preset": True}
            )
        ).id
        for j in range(personas)
    ]
    return [OwnerKey(await ids.user("test", f"u{i}"), pid) for i in range(users) for pid in pids]


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def memory(tmp_path: Path, clock: Clock, db_url: str) -> AsyncIterator[MemoryService]:
    db = Database(db_url)
    await db.migrate()
    service = MemoryService(
        MemoryRepo(db),
        VectorStore(tmp_path / "lancedb", 384),
        _EMBEDDER,
        MemoryConfig(),
        clock=clock,
    )
    service.db = db  # type: ignore[attr-defined]  # for tests that need raw owners
    yield service
    await service.settle()
    await db.close()
