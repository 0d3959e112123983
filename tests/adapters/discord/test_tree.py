"""The slash-command tree generated from the core's declarations, and Discord's limits."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import discord

from adapters.discord.sync import dry_run
from adapters.discord.tree import build_tree, check_limits, payload
from bot.commands.spec import CommandSpec, Param, all_commands
from bot.messages import Reply

ROOT = Path(__file__).resolve().parents[3]
# Every command group and top-level command, as Discord lists them.
TOPS = {
    "access",
    "channel",
    "chat",
    "continue",
    "help",
    "jobs",
    "knowledge",
    "limits",
    "lore",
    "moderation",
    "privacy",
    "profiles",
    "reports",
    "me",
    "memory",
    "model",
    "persona",
    "preset",
    "regen",
    "scene",
    "swipe",
    "undo",
    "usage",
    "voice",
}


async def _never(*args: Any) -> Any:
    raise AssertionError("not called")


async def _no_choices(interaction: Any, current: str) -> list[Any]:
    return []


def _tree(specs: list[CommandSpec] | None = None) -> list[dict[str, Any]]:
    from bot.config import LimitsConfig

    client = discord.Client(intents=discord.Intents.default())
    limits = LimitsConfig().model_dump()  # type: ignore[call-arg]
    return payload(build_tree(client, specs or all_commands(), _never, _no_choices, limits))


def _sub(commands: list[dict[str, Any]], group: str, name: str) -> dict[str, Any]:
    top = next(c for c in commands if c["name"] == group)
    return next(o for o in top["options"] if o["name"] == name)


def test_every_declared_command_is_a_slash_command() -> None:
    commands = _tree()
    tops = {c["name"] for c in commands}
    assert tops == TOPS
    for spec in all_commands():
        if not spec.offered_on("discord"):  # e.g. /start, /cancel: Telegram's conventions
            assert spec.path[0] not in tops
            continue
        node = (
            next(c for c in commands if c["name"] == spec.path[0])
            if len(spec.path) == 1
            else _sub(commands, *spec.path)
        )
        assert node["type"] == 1
        assert sorted(o["name"] for o in node["options"]) == sorted(p.name for p in spec.params)
        assert spec.help[:90] in node["description"]
        required = [o["required"] for o in node["options"]]
        assert required == sorted(required, reverse=True)  # Discord wants required ones first


def test_options_are_typed_described_and_autocompleted() -> None:
    commands = _tree()
    switch = _sub(commands, "persona", "switch")["options"][0]
    assert switch == {
        "type": 3,
        "name": "name",
        "description": "the persona's name",
        "required": True,
        "autocomplete": True,
    }
    create = {o["name"]: o for o in _sub(commands, "persona", "create")["options"]}
    assert "autocomplete" not in create["name"]  # a new name: nothing to complete
    assert create["temperature"]["type"] == 10 and create["public"]["type"] == 5
    kind = _sub(commands, "memory", "list")["options"][0]
    assert [c["value"] for c in kind["choices"]] == ["episode", "fact", "preference", "summary"]
    add = {o["name"] for o in _sub(commands, "preset", "add")["options"]}
    assert "global" in add  # a Python keyword, renamed back for Discord
    assert _sub(commands, "memory", "forget")["options"][0]["type"] == 4


def test_generated_tree_is_within_discords_limits() -> None:
    assert check_limits(_tree()) == []


async def _handler(core: Any, ctx: Any, args: dict[str, Any]) -> Reply:
    return Reply("x")


def test_limits_are_checked_and_name_the_command() -> None:
    too_long = CommandSpec(("persona", "vent"), "x" * 101, (), _handler)
    many = CommandSpec(
        ("lots",), "many options", tuple(Param(f"o{i}", "an option") for i in range(26)), _handler
    )
    problems = check_limits(_tree([too_long, many]))
    assert "/persona vent: description has 101 characters (1-100)" in problems
    assert "/lots: 26 options (at most 25)" in problems
    raw = _tree([many])
    raw[0]["options"][0]["description"] = "y" * 101
    assert "/lots o0: description has 101 characters (1-100)" in check_limits(raw)
    assert check_limits([{"name": "Bad Name", "description": "d", "type": 1}]) == [
        "/Bad Name: name 'Bad Name' must be 1-32 lowercase letters, digits, - or _"
    ]
    huge = [
        {
            "name": "big",
            "description": "d" * 100,
            "type": 1,
            "options": [
                {
                    "type": 3,
                    "name": f"o{i}",
                    "description": "e" * 100,
                    "required": False,
                    "choices": [{"name": "c" * 100, "value": "v" * 100} for _ in range(25)],
                }
                for i in range(2)
            ],
        }
    ]
    assert any(p.startswith("/big:") and "at most 4000" in p for p in check_limits(huge))


def test_dry_run_prints_the_payload_without_connecting() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "discord-sync", "--dry-run"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == _tree()
    assert "voice will NOT" not in done.stderr


def test_dry_run_refuses_a_payload_over_the_limits() -> None:
    bad = CommandSpec(("x" * 40,), "too long a name", (), _handler)
    text, problems = dry_run([bad])
    assert text == ""
    assert problems[0].startswith("/" + "x" * 40 + ": ")
    assert "1-32 characters" in problems[0]


def test_the_payload_uses_current_discord_fields_and_declared_bounds() -> None:
    from bot.config import LimitsConfig

    limits = LimitsConfig().model_dump()  # type: ignore[call-arg]
    client = discord.Client(intents=discord.Intents.default())
    commands = payload(build_tree(client, all_commands(), _never, _no_choices, limits))
    for top in commands:
        assert "dm_permission" not in top  # deprecated: contexts say where it works
        assert top["contexts"] == [0, 1] and top["integration_types"] == [0]
    by_name = {c["name"]: c for c in commands}
    assert str(by_name["jobs"]["default_member_permissions"]) == "32"  # Manage Server: admins
    assert by_name["persona"].get("default_member_permissions") is None
    temperature = _sub(commands, "model", "temperature")["options"][0]
    assert (temperature["min_value"], temperature["max_value"]) == (0, 2)
    create = _sub(commands, "persona", "create")
    lengths = {o["name"]: o.get("max_length") for o in create["options"]}
    assert lengths["prompt"] == limits["prompt"] and lengths["bio"] == limits["bio"]
    assert "public=yes" not in create["description"]  # Discord shows a boolean there
    forget = _sub(commands, "memory", "forget")["options"][0]
    assert forget["min_value"] == 1
    assert check_limits(commands) == []
