"""Alembic migrations: from empty to head, and from the previous revision with data kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from storage.db import Database

HEAD = "0019"  # the newest revision


async def test_upgrade_from_empty(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    assert await db.revision() is None
    await db.migrate()
    assert await db.revision() == HEAD
    await db.close()
    with sqlite3.connect(tmp_path / "x.db") as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert {
        "users",
        "spaces",
        "personas",
        "active_personas",
        "turns",
        "usage_log",
        "space_settings",
        "chat_channels",
        "voice_prefs",
        "user_descriptions",
        "reply_versions",
        "chats",
        "chat_choices",
        "chat_summaries",
        "documents",
        "alembic_version",
    } <= tables
    assert mode == "wal"


async def test_upgrade_from_previous_revision_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate("0001")
    await db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO users VALUES (1, 'console', 'alice', 'Alice', '2026-01-01')")
        conn.execute(
            "INSERT INTO personas (id, name, scope_key, display_name, traits, custom_traits,"
            " domains, created_at, updated_at) VALUES (1, 'luna', 'user:1', 'Luna', '{}', '{}',"
            " '[]', '2026-01-01', '2026-01-01')"
        )
        conn.execute(
            "INSERT INTO turns (user_id, persona_id, role, content, prompt_tokens,"
            " completion_tokens, model, created_at) VALUES"
            " (1, 1, 'user', 'hello', 0, 0, '', '2026-01-01'),"
            " (1, 1, 'assistant', 'hi!', 12, 3, 'openai/x', '2026-01-01')"
        )
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.migrate()
    assert await db.revision() == HEAD
    await db.close()
    with sqlite3.connect(path) as conn:
        turns = conn.execute("SELECT role, content FROM turns ORDER BY id").fetchall()
        usage = conn.execute(
            "SELECT user_id, persona_name, prompt_tokens, completion_tokens FROM usage_log"
        ).fetchall()
        persona = conn.execute("SELECT name, display_name FROM personas").fetchall()
        chats = conn.execute("SELECT id, user_id, persona_id FROM chats").fetchall()
        in_chat = conn.execute("SELECT DISTINCT chat_id FROM turns").fetchall()
    assert turns == [("user", "hello"), ("assistant", "hi!")]
    # The conversation so far became the owner's first chat.
    assert [c[1:] for c in chats] == [(1, 1)] and in_chat == [(chats[0][0],)]
    assert persona == [("luna", "Luna")]
    assert usage == [(1, "luna", 12, 3)]  # backfilled from the turn log


async def test_migrate_twice_is_a_no_op(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    await db.migrate()
    await db.migrate()
    assert await db.revision() == HEAD
    await db.close()
