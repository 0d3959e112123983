"""Workers sharing PostgreSQL: a change committed by one reaches the read cache of another
(LISTEN/NOTIFY), so a persona edited on one worker is what the next turn on another uses."""

from __future__ import annotations

import asyncio

import pytest

from personas.model import Persona
from storage.db import Database
from storage.personas import PersonaRepo


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_an_edit_on_one_worker_reaches_the_next_read_on_another(db_url: str) -> None:
    one, two = Database(db_url), Database(db_url)
    await one.migrate()
    for db in (one, two):
        await db.listen()
    mine, theirs = PersonaRepo(one), PersonaRepo(two)
    p = await mine.create("global", {"name": "luna", "display_name": "Luna", "is_preset": True})

    async def load() -> Persona:
        found = await theirs.get(p.id)
        assert found is not None
        return found

    seen = await theirs.cached(("p", p.id), load)
    assert seen.display_name == "Luna"
    await mine.update(p.id, {"display_name": "Luna the Second"}, None)
    for _ in range(100):  # the note arrives on the other worker's own connection
        now = await theirs.cached(("p", p.id), load)
        if now.display_name == "Luna the Second":
            break
        await asyncio.sleep(0.02)
    assert now.display_name == "Luna the Second"
    await one.close()
    await two.close()
