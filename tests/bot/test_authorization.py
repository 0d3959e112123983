"""Every mutating command by someone without the right is refused and changes nothing."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from bot.core import Core
from tests.conftest import who


def snapshot(core: Core) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table that commands change (read straight from the SQLite file)."""
    path = core.settings.data_dir / "personabot.db"
    with sqlite3.connect(path) as db:
        return {
            table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in ("personas", "active_personas", "turns", "space_settings")
        }


REFUSED = [
    # (command, who runs it, expected words in the refusal)
    (
        '/persona edit luna bio="hacked"',
        "mallory",
        "no persona named 'luna'",
    ),  # private: invisible
    ('/persona edit shared bio="hacked"', "mallory", "only the owner"),
    ("/persona delete shared", "mallory", "only the owner"),
    ("/persona delete luna", "mallory", "no persona named 'luna'"),
    ('/persona edit assistant prompt="x"', "alice", "is a preset"),
    ("/persona delete assistant", "alice", "is a preset"),
    ('/preset add evil prompt="x"', "mallory", "only admins"),
    ('/preset edit assistant prompt="x"', "mallory", "only bot admins"),
    ("/preset disable assistant", "mallory", "only bot admins"),
    ("/preset enable assistant", "mallory", "only bot admins"),
    ("/preset remove guildbot", "mallory", "only admins"),
    ('/preset edit guildbot prompt="x"', "mallory", "only admins"),
    ("/preset disable guildbot", "mallory", "only admins"),
    ('/preset add everywhere prompt="x" global=yes', "gadmin", "only bot admins"),
    ("/preset disable assistant", "gadmin", "only bot admins"),
    ("/preset remove assistant", "root", "ships with personabot"),
    ("/model set openai/cheap", "mallory", "only admins"),
    ("/model temperature 1.9", "mallory", "only admins"),
    ("/model reset", "mallory", "only admins"),
]


@pytest.mark.parametrize(("line", "actor", "refusal"), REFUSED)
async def test_refused_and_nothing_changes(
    core: Core, line: str, actor: str, refusal: str
) -> None:
    guild = "guild-1"
    alice = who("alice", guild, "group")
    assert not (await core.handle_text(alice, '/persona create luna prompt="private"')).error
    made = await core.handle_text(alice, '/persona create shared prompt="public" public=yes')
    assert not made.error
    gadmin = who("gadmin", guild, "group", admin=True)  # a server admin, not a bot admin
    added = await core.handle_text(gadmin, '/preset add guildbot prompt="guild helper"')
    assert not added.error, added.text
    assert not (await core.handle_text(gadmin, "/model temperature 0.3")).error
    actors = {
        "alice": alice,
        "gadmin": gadmin,
        "mallory": who("mallory", guild, "group"),
        "root": who("root", guild, "group"),
    }

    before = snapshot(core)
    reply = await core.handle_text(actors[actor], line)
    assert reply.error, reply.text
    assert refusal in reply.text
    assert snapshot(core) == before


async def test_confirmation_belongs_to_its_asker(core: Core) -> None:
    alice, mallory = who("alice"), who("mallory")
    await core.handle_text(alice, '/persona create luna prompt="x"')
    ask = await core.handle_text(alice, "/persona delete luna")
    assert ask.confirm is not None
    before = snapshot(core)
    stolen = await core.confirm(ask.confirm.token, mallory, True)
    assert stolen.error and "only the person who ran the command" in stolen.text
    assert snapshot(core) == before
    done = await core.confirm(ask.confirm.token, alice, True)
    assert "Deleted" in done.text
    assert "luna" not in (await core.handle_text(alice, "/persona list")).text


async def test_allowed_admin_actions(core: Core) -> None:
    gadmin = who("gadmin", "g", "group", admin=True)
    root = who("root", "g", "group")
    member = who("member", "g", "group")
    assert not (await core.handle_text(gadmin, '/preset add helper prompt="Helps."')).error
    assert "helper" in (await core.handle_text(member, "/persona list")).text
    assert not (await core.handle_text(gadmin, "/preset disable helper")).error
    assert "helper" not in (await core.handle_text(member, "/persona list")).text
    assert not (await core.handle_text(root, "/preset disable coder")).error
    other_space = who("member", "elsewhere", "group")
    assert "coder" not in (await core.handle_text(other_space, "/persona list")).text
    assert "helper" not in (await core.handle_text(other_space, "/persona list")).text
    assert not (await core.handle_text(root, '/preset add glob prompt="G" global=yes')).error
    assert "glob" in (await core.handle_text(other_space, "/persona list")).text
