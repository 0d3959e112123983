"""Slash commands generated from the core's declarations, and Discord's limits on them."""

from __future__ import annotations

import inspect
import keyword
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any

import discord
from discord import app_commands

from bot.commands.spec import GROUP_HELP, CommandSpec, Param

log = logging.getLogger(__name__)

Runner = Callable[[discord.Interaction, CommandSpec, dict[str, Any]], Awaitable[None]]
Completer = Callable[
    [discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]
]

PY_TYPES: dict[str, type] = {
    "str": str,
    "text": str,
    "persona": str,
    "int": int,
    "float": float,
    "bool": bool,
    "file": discord.Attachment,
}
# Discord's documented limits for application commands.
NAME_RE = re.compile(r"^[-_'\w]{1,32}$")
MAX_DESCRIPTION = 100
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_COMMAND_CHARS = 4000
MAX_GLOBAL_COMMANDS = 100


# Servers and the bot's DMs (not group DMs); installed to servers, not to user accounts.
CONTEXTS = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
INSTALLS = app_commands.AppInstallationType(guild=True, user=False)
MAX_TEXT = 6000  # Discord's longest string option


class _WithoutDmPermission:
    """Leaves the deprecated dm_permission out of the payload (contexts say where it works)."""

    def to_dict(self, tree: app_commands.CommandTree) -> dict[str, Any]:
        data: dict[str, Any] = super().to_dict(tree)  # type: ignore[misc]
        data.pop("dm_permission", None)
        return data


class _Command(_WithoutDmPermission, app_commands.Command[Any, ..., None]):
    """A slash command as personabot publishes it."""


class _Group(_WithoutDmPermission, app_commands.Group):
    """A command group as personabot publishes it."""


def _annotation(p: Param, limits: Mapping[str, int]) -> Any:
    """The option's type, with the declared range or the configured length as Discord limits."""
    base = PY_TYPES[p.type]
    if p.type in ("int", "float") and (p.min is not None or p.max is not None):
        return app_commands.Range[base, p.min, p.max]
    if base is str and p.limit and p.limit in limits:
        return app_commands.Range[str, 0, min(MAX_TEXT, limits[p.limit])]
    return base


def _callback(
    spec: CommandSpec, run: Runner, limits: Mapping[str, int]
) -> Callable[..., Awaitable[None]]:
    """A coroutine whose signature lists the command's options, as discord.py reads them."""
    renames = {p.name + "_": p.name for p in spec.params if keyword.iskeyword(p.name)}

    async def callback(interaction: discord.Interaction, **options: Any) -> None:
        args = {renames.get(k, k): v for k, v in options.items() if v is not None}
        await run(interaction, spec, args)

    params = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for p in spec.params:
        params.append(
            inspect.Parameter(
                p.name + "_" if keyword.iskeyword(p.name) else p.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=_annotation(p, limits),
                default=inspect.Parameter.empty if p.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = "_".join(spec.path)
    if renames:
        callback = app_commands.rename(**renames)(callback)
    return callback


def _decorate(
    callback: Callable[..., Awaitable[None]], params: Sequence[Param], complete: Completer
) -> Callable[..., Awaitable[None]]:
    def py(p: Param) -> str:
        return p.name + "_" if keyword.iskeyword(p.name) else p.name

    callback = app_commands.describe(**{py(p): p.help for p in params})(callback)
    choices = {
        py(p): [app_commands.Choice(name=c, value=c) for c in p.choices]
        for p in params
        if p.choices
    }
    if choices:
        callback = app_commands.choices(**choices)(callback)
    personas = {py(p): complete for p in params if p.type == "persona"}
    if personas:
        callback = app_commands.autocomplete(**personas)(callback)
    return callback


def make_command(
    spec: CommandSpec, run: Runner, complete: Completer, limits: Mapping[str, int] | None = None
) -> app_commands.Command:
    """One slash command for one declaration."""
    help_ = spec.help + (" (admins)" if spec.admin else "")
    top = len(spec.path) == 1  # contexts and installs belong on top-level commands only
    try:
        callback = _decorate(_callback(spec, run, limits or {}), spec.params, complete)
        return _Command(
            name=spec.path[-1],
            description=help_,  # not trimmed: check_limits names what is too long
            callback=callback,  # type: ignore[arg-type]  # its signature is built at run time
            allowed_contexts=CONTEXTS if top else None,
            allowed_installs=INSTALLS if top else None,
        )
    except (TypeError, ValueError) as exc:  # discord.py's own checks (names, types)
        raise ValueError(f"{spec.name}: {exc}") from None


def build_tree(
    client: discord.Client,
    specs: Sequence[CommandSpec],
    run: Runner,
    complete: Completer,
    limits: Mapping[str, int] | None = None,
) -> app_commands.CommandTree:
    """A command tree: top-level commands and one group per command group; a group whose
    every command is for admins is hidden from members by default (Manage Server)."""
    tree = app_commands.CommandTree(client)
    groups: dict[str, app_commands.Group] = {}
    offered = [s for s in specs if s.offered_on("discord")]
    for spec in offered:
        command = make_command(spec, run, complete, limits)
        if len(spec.path) == 1:
            tree.add_command(command)
            continue
        group = groups.get(spec.path[0])
        if group is None:
            admin_only = all(s.admin for s in offered if s.path[0] == spec.path[0])
            group = _Group(
                name=spec.path[0],
                description=GROUP_HELP.get(spec.path[0], spec.path[0]),
                allowed_contexts=CONTEXTS,
                allowed_installs=INSTALLS,
                default_permissions=discord.Permissions(manage_guild=True) if admin_only else None,
            )
            groups[spec.path[0]] = group
            tree.add_command(group)
        group.add_command(command)
    return tree


def payload(tree: app_commands.CommandTree) -> list[dict[str, Any]]:
    """The JSON Discord receives when the global commands are synced."""
    return [command.to_dict(tree) for command in tree.get_commands()]


def _chars(node: dict[str, Any]) -> int:
    total = len(node.get("name", "")) + len(node.get("description", ""))
    for choice in node.get("choices", []):
        total += len(choice["name"]) + len(str(choice["value"]))
    return total + sum(_chars(o) for o in node.get("options", []))


def _check_node(node: dict[str, Any], where: str, problems: list[str]) -> None:
    name = node.get("name", "")
    if not NAME_RE.match(name) or name != name.lower():
        problems.append(f"{where}: name '{name}' must be 1-32 lowercase letters, digits, - or _")
    description = node.get("description", "")
    if not 1 <= len(description) <= MAX_DESCRIPTION:
        problems.append(
            f"{where}: description has {len(description)} characters (1-{MAX_DESCRIPTION})"
        )
    options = node.get("options", [])
    if len(options) > MAX_OPTIONS:
        problems.append(f"{where}: {len(options)} options (at most {MAX_OPTIONS})")
    if len(node.get("choices", [])) > MAX_CHOICES:
        problems.append(f"{where}: more than {MAX_CHOICES} choices")
    seen_optional = False
    for option in options:
        label = f"{where} {option.get('name', '?')}"
        if option.get("type") in (1, 2):  # subcommand / group
            _check_node(option, label, problems)
            continue
        if option.get("required") and seen_optional:
            problems.append(f"{label}: a required option after an optional one")
        seen_optional = seen_optional or not option.get("required")
        _check_node(option, label, problems)


def check_limits(commands: list[dict[str, Any]]) -> list[str]:
    """Every way this payload breaks Discord's limits, each naming the command."""
    problems: list[str] = []
    if len(commands) > MAX_GLOBAL_COMMANDS:
        problems.append(f"{len(commands)} top-level commands (at most {MAX_GLOBAL_COMMANDS})")
    for node in commands:
        where = "/" + node.get("name", "?")
        _check_node(node, where, problems)
        leaves = [o for o in node.get("options", []) if o.get("type") == 1] or [node]
        for leaf in leaves:
            size = len(node["name"]) + len(node.get("description", "")) + _chars(leaf)
            if leaf is node:
                size = _chars(node)
            if size > MAX_COMMAND_CHARS:
                label = where if leaf is node else f"{where} {leaf['name']}"
                problems.append(f"{label}: {size} characters in all (at most {MAX_COMMAND_CHARS})")
    return problems
