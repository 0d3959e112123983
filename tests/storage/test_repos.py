"""Repositories on a real SQLite file."""

from __future__ import annotations

import asyncio

import pytest

from bot.errors import Conflict
from storage.db import Database
from storage.identities import Identities
from storage.keys import OwnerKey
from storage.personas import PersonaRepo
from storage.turns import TurnRepo


@pytest.fixture
async def db(db_url: str):  # type: ignore[no-untyped-def]
    database = Database(db_url)
    await database.migrate()
    yield database
    await database.close()


async def test_identities_are_stable_and_safe_under_concurrency(db: Database) -> None:
    ids = Identities(db)
    got = await asyncio.gather(*(ids.user("discord", "42", "Ann") for _ in range(10)))
    assert len(set(got)) == 1
    assert await ids.user("telegram", "42") != got[0]  # same number, other platform
    assert await ids.space("discord", "g", "group") == await ids.space("discord", "g", "group")


async def test_turns_are_read_only_by_their_owner_key(db: Database) -> None:
    ids, personas, turns = Identities(db), PersonaRepo(db), TurnRepo(db)
    u1, u2 = await ids.user("console", "a"), await ids.user("console", "b")
    space = await ids.space("console", "local", "console")
    p = await personas.create("global", {"name": "p", "display_name": "P", "is_preset": True})
    await turns.add_user(OwnerKey(u1, p.id), space, "from a")
    await turns.add_user(OwnerKey(u2, p.id), space, "from b")
    assert [t.content for t in await turns.recent(OwnerKey(u1, p.id), 10)] == ["from a"]
    assert [t.content for t in await turns.recent(OwnerKey(u2, p.id), 10)] == ["from b"]
    assert await turns.wipe(OwnerKey(u1, p.id)) == 1
    assert await turns.count(OwnerKey(u2, p.id)) == 1
    assert (await personas.get(p.id)).usage_count == 2  # type: ignore[union-attr]


async def test_unique_name_per_scope(db: Database) -> None:
    personas = PersonaRepo(db)
    await personas.create("user:1", {"name": "luna", "display_name": "Luna"})
    with pytest.raises(Conflict, match="already taken"):
        await personas.create("user:1", {"name": "luna", "display_name": "Luna"})
    await personas.create("user:2", {"name": "luna", "display_name": "Luna"})


async def test_deleting_a_persona_removes_its_turns_and_active_entries(db: Database) -> None:
    ids, personas, turns = Identities(db), PersonaRepo(db), TurnRepo(db)
    u = await ids.user("console", "a")
    s = await ids.space("console", "local", "console")
    p = await personas.create("user:1", {"name": "luna", "display_name": "Luna", "owner_id": u})
    await personas.set_active(u, s, p.id)
    await turns.add_user(OwnerKey(u, p.id), s, "hello")
    await personas.delete(p.id)
    assert await personas.active(u, s) is None
    assert await turns.count(OwnerKey(u, p.id)) == 0
