"""The async engine, its session factory, and automatic Alembic migrations."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine.url import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage.cache import ReadCache

log = logging.getLogger(__name__)
MIGRATE_LOCK = 0x7065_7273_6F6E  # "person": the advisory lock key of migrations

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # WAL lets readers run beside the single writer; NORMAL sync is safe under WAL.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    # Deleted rows are overwritten with zeros: an erased user's words stay in no free page.
    cur.execute("PRAGMA secure_delete=ON")
    cur.close()


def _alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """The newest migration this code ships."""
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return str(ScriptDirectory.from_config(cfg).get_current_head())


LOCK_POLL_S = 0.02  # how often a user's turn waiting on another worker asks again
CACHE_NOTE = {"channel": "personabot_cache"}  # the NOTIFY channel of read-cache changes


class Database:
    """Owns the engine; hands out sessions to repositories."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )
        # SQLite has one writer; queueing writers here avoids its busy-wait sleeps, which
        # made p99 latency jump to seconds under 10 concurrent users.
        self._write_lock = asyncio.Lock()
        self.cache = ReadCache()  # what every turn reads and only commands change
        self._file = parsed.database if parsed.get_backend_name() == "sqlite" else None
        self._quick: sqlite3.Connection | None = None
        self._postgres = parsed.get_backend_name() == "postgresql"
        self._listener: Any = None  # PostgreSQL: the connection that hears cache notes
        self._locks_conn: Any = None  # PostgreSQL: the connection that holds users' locks
        self._lock_use = asyncio.Lock()  # one statement at a time on it
        self._lock_opening = asyncio.Lock()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session for changes; writers in this process take turns."""
        async with self._write_lock, self.sessions() as session:
            yield session

    @asynccontextmanager
    async def write_settings(self) -> AsyncIterator[AsyncSession]:
        """A write to what the read cache holds: the cache is dropped before and after it."""
        self.cache.clear()
        try:
            async with self.write() as session:
                if self._postgres:  # sent at its commit: other processes drop their caches
                    await session.execute(text("SELECT pg_notify(:channel, '')"), CACHE_NOTE)
                yield session
        finally:
            self.cache.clear()

    async def listen(self) -> None:
        """PostgreSQL: drop the read cache whenever any process commits a change to what it
        holds (LISTEN on its own connection). SQLite: one process per file, nothing to hear."""
        if not self._postgres or self._listener is not None:
            return
        self._listener = await self._raw_connection()
        await self._listener.add_listener(CACHE_NOTE["channel"], self._heard)

    def _heard(self, *_: Any) -> None:
        self.cache.clear()

    @asynccontextmanager
    async def user_lock(self, key: str) -> AsyncIterator[None]:
        """PostgreSQL: hold `key` against every process sharing the database (an advisory
        lock, asked for on one connection of this process with try-and-wait, so one waiting
        user never blocks another's). SQLite: nothing to do, one process per file."""
        if not self._postgres:
            yield
            return
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        conn = await self._lock_connection()
        while True:
            async with self._lock_use:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", number):
                    break
            await asyncio.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            async with self._lock_use:
                await conn.execute("SELECT pg_advisory_unlock($1)", number)

    async def _lock_connection(self) -> Any:
        async with self._lock_opening:  # many first users at once still open one connection
            if self._locks_conn is None:
                self._locks_conn = await self._raw_connection()
        return self._locks_conn

    async def _raw_connection(self) -> Any:
        """A connection of asyncpg's own, outside the pool (LISTEN, advisory locks)."""
        import asyncpg

        url = make_url(self.url).set(drivername="postgresql")
        return await asyncpg.connect(url.render_as_string(hide_password=False))

    async def migrate(self, revision: str = "head") -> None:
        """Bring the schema up to `revision` (creates it on an empty database)."""

        def upgrade(conn: Connection) -> None:
            command.upgrade(_alembic_config(conn), revision)

        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Workers starting together migrate one at a time (DDL is transactional there:
                # the next one finds the schema at head and does nothing).
                await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK})")
            await conn.run_sync(upgrade)
        log.info("database at revision %s", await self.revision())

    async def revision(self) -> str | None:
        """The schema revision the database is at (None when empty)."""
        from alembic.runtime.migration import MigrationContext

        def current(conn: Connection) -> str | None:
            return MigrationContext.configure(conn).get_current_revision()

        async with self.engine.connect() as conn:
            return await conn.run_sync(current)

    def try_now(self, sql: str, params: dict[str, Any]) -> tuple[bool, Any]:
        """SQLite: run one self-contained write statement at once, on the event loop, without
        waiting for anyone — (True, its first row) — or (False, None) when another writer
        holds the file (or this is not a SQLite file), and the caller takes the async road.
        A thread hop costs ~0.6 ms; the statement itself ~0.02 ms."""
        if self._file in (None, "", ":memory:") or self._write_lock.locked():
            return False, None
        if self._quick is None:
            # Autocommit: each statement is its own transaction; no busy wait on the loop.
            self._quick = sqlite3.connect(self._file, isolation_level=None)
            self._quick.execute("PRAGMA busy_timeout=0")
            self._quick.execute("PRAGMA synchronous=NORMAL")
        try:
            return True, self._quick.execute(sql, params).fetchone()
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            return False, None

    async def checkpoint(self) -> None:
        """SQLite: fold the write-ahead log into the database and empty it (after an erasure,
        so no old page of it lingers in the log file)."""
        if self.engine.dialect.name != "sqlite":
            return
        async with self.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> None:
        """Dispose of every pooled connection."""
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        if self._locks_conn is not None:
            await self._locks_conn.close()
            self._locks_conn = None
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        await self.engine.dispose()
