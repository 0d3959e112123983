"""Commands declared once — path, typed parameters, help — for every surface to render."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core
    from bot.messages import Reply

ParamType = Literal["str", "text", "int", "float", "bool", "persona", "file"]
Handler = Callable[["Core", "Context", dict[str, Any]], Awaitable["Reply"]]


@dataclass(frozen=True)
class Param:
    """One typed option. `persona` is a persona name (surfaces may autocomplete it)."""

    name: str
    help: str
    type: ParamType = "str"
    required: bool = False
    positional: bool = False
    choices: tuple[str, ...] = ()
    long: bool = False  # long free text: Discord shows a modal field for it
    greedy: bool = False  # positional that takes the rest of the line


@dataclass(frozen=True)
class CommandSpec:
    """A command: `/group action` (or `/name` when the path has one part)."""

    path: tuple[str, ...]
    help: str
    params: tuple[Param, ...]
    handler: Handler
    admin: bool = False
    confirms: bool = False

    @property
    def name(self) -> str:
        """The command as typed, e.g. "/persona create"."""
        return "/" + " ".join(self.path)

    def usage(self) -> str:
        """One-line synopsis in the text grammar."""
        bits = [self.name]
        for p in self.params:
            if p.positional:
                bits.append(f"<{p.name}>" if p.required else f"[{p.name}]")
            else:
                hint = (
                    "|".join(p.choices) if p.choices else ("yes|no" if p.type == "bool" else "…")
                )
                bits.append(f"{p.name}={hint}" if p.required else f"[{p.name}={hint}]")
        return " ".join(bits)


GROUP_HELP = {
    "persona": "Create, switch, edit and share personas",
    "memory": "See or wipe what you said to the active persona",
    "model": "Choose the model for this space",
    "preset": "Manage preset personas (admins)",
    "channel": "Channels where the bot answers every message (server admins)",
    "voice": "Spoken replies and persona voices",
    "jobs": "Scheduled jobs (bot admins)",
}

REGISTRY: dict[tuple[str, ...], CommandSpec] = {}


def command(
    *path: str,
    help: str,
    params: tuple[Param, ...] = (),
    admin: bool = False,
    confirms: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler under `path` with its parameters and help text."""

    def wrap(fn: Handler) -> Handler:
        if path in REGISTRY:
            raise RuntimeError(f"command {path} declared twice")
        REGISTRY[path] = CommandSpec(path, help, params, fn, admin, confirms)
        return fn

    return wrap


def all_commands() -> list[CommandSpec]:
    """Every declared command (imports the modules that declare them)."""
    from bot.commands import (  # noqa: F401
        channel,
        general,
        jobs,
        memory,
        models,
        persona,
        preset,
        retire,
        voice,
    )

    return sorted(REGISTRY.values(), key=lambda c: c.path)
