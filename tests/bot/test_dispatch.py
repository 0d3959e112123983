"""The dispatcher enforces what commands declare: rights, confirmation, and the one error edge.

Table-driven over the declarations themselves, so a command added later is covered without a
new test. Each handler is swapped for a recorder: a refusal must come before it ever runs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from bot.commands.spec import REGISTRY, CommandSpec, all_commands
from bot.core import Core
from bot.dispatch import OOPS
from bot.messages import CommandCall, Reply
from tests.conftest import who

SPECS = all_commands()
GUARDED = [s for s in SPECS if s.admin]
# /me link asks only when a code is entered, and only a real code gets that far
# (tests/bot/test_links.py): every other declared confirmation asks every time.
CONFIRMING = [s for s in SPECS if s.confirms and s.path != ("me", "link")]
PRIVILEGED_OPTIONS = [(s, p) for s in SPECS for p in s.params if p.rights != "user"]


@dataclass
class Recorder:
    """Stands in for a handler: records that it ran."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    async def __call__(self, services: Any, ctx: Any, **kwargs: Any) -> Reply:
        self.calls.append(kwargs)
        return Reply(text="ran", ephemeral=True)


def recorded(core: Core, spec: CommandSpec) -> Recorder:
    """Swap the command's handler for a recorder (this core only)."""
    recorder = Recorder()
    core.commands[spec.path] = replace(spec, handler=recorder)
    return recorder


def sample(spec: CommandSpec, persona: str) -> dict[str, Any]:
    """Valid values for the required parameters (what a surface would send)."""
    values: dict[str, Any] = {}
    for p in spec.params:
        if not p.required or p.type == "file":
            continue
        if p.choices:
            values[p.name] = p.choices[0]
        elif p.type in ("int", "float"):
            values[p.name] = 1
        elif p.type == "bool":
            values[p.name] = True
        else:
            # "user": a platform id the bot knows (the bot admin, on the console)
            values[p.name] = {"name": persona, "user": "root"}.get(p.name, "x")
    return values


def test_the_tables_are_not_empty() -> None:
    """If these shrink to nothing, the tests below prove nothing."""
    assert {s.name for s in GUARDED} >= {"/jobs run", "/preset add", "/channel chat"}
    assert {s.name for s in CONFIRMING} == {
        "/persona delete",
        "/memory wipe",
        "/preset remove",
        "/chat delete",
        "/persona rollback",
        "/knowledge remove",
        "/me forget",
        "/privacy erase",
        "/profiles remove",
    }
    assert [p.name for _, p in PRIVILEGED_OPTIONS] == [
        "global",
        "global",
        "user",
        "user",
        "user",
        "global",
        "all",
    ]


@pytest.mark.parametrize("spec", GUARDED, ids=lambda s: s.name)
async def test_a_member_is_refused_every_admin_command_before_it_runs(
    core: Core, spec: CommandSpec
) -> None:
    recorder = recorded(core, spec)
    member = who("mallory", "guild-1", "group")
    reply = await core.command(CommandCall(member, spec.path, sample(spec, "assistant")))
    assert reply.error and reply.text.startswith("only "), reply.text
    assert "admins" in reply.text  # names the right that is missing
    assert recorder.calls == []


@pytest.mark.parametrize(("spec", "param"), PRIVILEGED_OPTIONS, ids=lambda x: str(x))
async def test_a_privileged_option_needs_its_own_right(
    core: Core, spec: CommandSpec, param: Any
) -> None:
    recorder = recorded(core, spec)
    server_admin = who("gadmin", "guild-1", "group", admin=True)  # not a bot admin
    args = {**sample(spec, "fresh"), param.name: True}
    reply = await core.command(CommandCall(server_admin, spec.path, args))
    assert reply.error and f"can use {param.name}=yes" in reply.text
    assert recorder.calls == []
    ok = await core.command(CommandCall(server_admin, spec.path, sample(spec, "fresh")))
    assert not ok.error and len(recorder.calls) == 1


@pytest.mark.parametrize("spec", CONFIRMING, ids=lambda s: s.name)
async def test_a_confirming_command_runs_only_after_yes(core: Core, spec: CommandSpec) -> None:
    root = who("root")  # a bot admin (tests/conftest.py), owner of what it deletes
    assert not (await core.handle_text(root, '/persona create luna prompt="x"')).error
    assert not (await core.handle_text(root, '/preset add temp prompt="x"')).error
    for chat in ("first", "x"):  # /chat delete asks about a chat, and not the only one
        assert not (await core.handle_text(root, f"/chat new {chat}")).error
    recorder = recorded(core, spec)
    target = "temp" if spec.path[0] == "preset" else "luna"
    call = CommandCall(root, spec.path, sample(spec, target))

    asked = await core.command(call)
    assert asked.confirm is not None and recorder.calls == []
    assert asked.text.endswith("This cannot be undone.")
    declined = await core.confirm(asked.confirm.token, root, False)
    assert declined.text == "Cancelled — nothing was changed." and recorder.calls == []
    replayed = await core.confirm(asked.confirm.token, root, True)  # a token is used once
    assert replayed.error and recorder.calls == []

    again = await core.command(call)
    assert again.confirm is not None
    stranger = await core.confirm(again.confirm.token, who("mallory"), True)
    assert stranger.error and recorder.calls == []
    done = await core.confirm(again.confirm.token, root, True)
    assert done.text == "ran" and len(recorder.calls) == 1


async def test_an_unexpected_failure_is_answered_once_and_logged_once(
    core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    async def boom(services: Any, ctx: Any) -> Reply:
        raise RuntimeError("db password is hunter2")

    core.commands[("usage",)] = replace(REGISTRY[("usage",)], handler=boom)
    with caplog.at_level(logging.ERROR):
        reply = await core.handle_text(who("alice"), "/usage")
    assert reply == Reply(text=OOPS, error=True, ephemeral=True)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "RuntimeError: db password is hunter2" in errors[0].getMessage()  # the trace, once


async def test_arguments_are_typed_once_whatever_the_surface_sent(core: Core) -> None:
    """A surface that sends strings (buttons, forms) gets the same checks as the parser."""
    alice = who("alice")
    bad = await core.command(CommandCall(alice, ("model", "temperature"), {"value": "hot"}))
    assert bad.error and bad.text == "value must be a number (got 'hot')"
    unknown = await core.command(CommandCall(alice, ("persona", "list"), {"colour": "red"}))
    assert unknown.error and "/persona list has no option 'colour'" in unknown.text
    missing = await core.command(CommandCall(alice, ("persona", "switch"), {}))
    assert missing.error and missing.text.startswith("/persona switch needs name")
    ok = await core.command(CommandCall(alice, ("model", "temperature"), {"value": "0.5"}))
    assert ok.text == "Temperature here is now 0.5."


async def test_declared_ranges_are_checked_on_every_surface(core: Core) -> None:
    alice = who("alice")
    hot = await core.command(CommandCall(alice, ("model", "temperature"), {"value": 3}))
    assert hot.error and hot.text == "value must be between 0 and 2 (got 3)"
    zero = await core.handle_text(alice, "/memory forget 0")
    assert zero.error and zero.text == "id must be at least 1 (got 0)"
