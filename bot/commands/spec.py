"""Commands declared once — path, typed parameters, rights, confirmation, forms — for every
surface to render and for the dispatcher (bot/dispatch.py) to enforce."""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from bot.context import Context
    from bot.messages import Reply
    from bot.services import Services

ParamType = Literal["str", "text", "int", "float", "bool", "persona", "file"]
Handler = Callable[..., Awaitable["Reply"]]
# Asked before a command runs; "" means this call needs no confirmation.
Question = Callable[["Services", "Context", Mapping[str, Any]], Awaitable[str]]

# Who may run a command, lowest first. "space": admins of the space, or anyone in a space of
# their own (a DM, the console) — their own settings need no admin.
Level = Literal["user", "space", "space_admin", "bot_admin"]
LEVELS: dict[Level, str] = {
    "user": "anyone",
    "space": "admins of this server or group (anyone in a DM)",
    "space_admin": "admins of this server or group",
    "bot_admin": "bot admins (admins.<platform> in config.yaml)",
}


@dataclass(frozen=True)
class Param:
    """One typed option. `persona` is a persona name (surfaces may autocomplete it)."""

    name: str
    help: str
    type: ParamType = "str"
    required: bool = False
    positional: bool = False
    choices: tuple[str, ...] = ()
    long: bool = False  # long free text: forms show a field for it
    greedy: bool = False  # positional that takes the rest of the line
    rights: Level = "user"  # giving this option (a true value) needs this level
    min: float | None = None  # numbers: the allowed range, checked by the dispatcher
    max: float | None = None
    limit: str = ""  # text: the limits.<name> config key that caps its length

    @property
    def arg(self) -> str:
        """The handler's keyword for this parameter (`global` → `global_`)."""
        return self.name + "_" if keyword.iskeyword(self.name) else self.name


@dataclass(frozen=True)
class Target:
    """The persona a command changes, named by parameter `param`; the dispatcher resolves it,
    checks the right and hands it to the handler as `target`.

    right: "owner" — its owner only (presets refused); "change" — its owner, or the admins of
    a preset; "preset" — a preset, by its admins (global presets: bot admins).
    """

    param: str = "name"
    right: Literal["owner", "change", "preset"] = "change"
    default_active: bool = False  # no name given: the active persona
    retired: bool = False  # a retired persona can be named (to bring it back)
    only_if: tuple[str, tuple[str, ...]] | None = None  # e.g. ("action", ("set", "clear"))
    doing: str = "change it"  # refusals: "only the owner of 'luna' can {doing}"
    presets: str = "change presets"  # refusals: "only admins can {presets}"
    refusal: str = ""  # one message for every refusal instead, with {name}


@dataclass(frozen=True)
class Form:
    """A form for the long-text parameters, opened where a surface can show one (Discord).

    It opens when none of its fields was given and nothing beyond the required parameters was
    (or, with `action`, when args["action"] is that value). `prefill` names the target
    persona's fields to start from: "fields" (its own) or "knowledge".
    """

    fields: tuple[str, ...]
    action: str = ""
    prefill: Literal["", "fields", "knowledge"] = ""

    def opens(self, spec: CommandSpec, args: Mapping[str, Any]) -> bool:
        """Should this call open the form instead of running?"""
        if any(name in args for name in self.fields):
            return False
        if self.action:
            return args.get("action") == self.action
        required = {p.name for p in spec.params if p.required}
        return not (set(args) - required)


@dataclass(frozen=True)
class Picker:
    """Bare, the command offers a choice of personas for `param` (Telegram buttons)."""

    param: str = "name"
    question: str = "Which persona?"


@dataclass(frozen=True)
class Step:
    """One question of a wizard: the parameter it fills and how it is asked."""

    param: str
    ask: str
    optional: bool = False  # /skip passes it
    pick: Literal["", "templates"] = ""  # offered as buttons instead of typed


@dataclass(frozen=True)
class Wizard:
    """The command asked one parameter at a time, under the alias `/group alias`, with a
    summary to confirm at the end (surfaces that hold a conversation render it: Telegram)."""

    alias: str
    steps: tuple[Step, ...]
    summary: str = "Go ahead?"  # asked over the collected answers, with Create / Cancel


@dataclass(frozen=True)
class CommandSpec:
    """A command: `/group action` (or `/name` when the path has one part)."""

    path: tuple[str, ...]
    help: str
    params: tuple[Param, ...]
    handler: Handler
    rights: Level = "user"
    target: Target | None = None
    confirm: str | Question | None = None  # asked before the handler runs
    form: Form | None = None
    picker: Picker | None = None
    wizard: Wizard | None = None
    doing: str = ""  # refusals: "only bot admins … can {doing}"
    surfaces: tuple[str, ...] = ()  # platforms that offer it (empty: all)
    progress: bool = False  # long work: the handler gets `progress`, a ProgressSink
    anyone: bool = False  # open even to users an access list keeps out (their own data)

    @property
    def name(self) -> str:
        """The command as typed, e.g. "/persona create"."""
        return "/" + " ".join(self.path)

    @property
    def admin(self) -> bool:
        """Does running it need more than being a user?"""
        return self.rights != "user" or (self.target is not None and self.target.right == "preset")

    def offered_on(self, platform: str) -> bool:
        """Is this command part of that platform's menu?"""
        return not self.surfaces or platform in self.surfaces

    @property
    def confirms(self) -> bool:
        """Does the dispatcher ask before running it?"""
        return self.confirm is not None

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
    "knowledge": "A persona's documents: files it reads from and cites in its answers",
    "access": "Who may use the bot here: allowed and blocked users, roles, channels (admins)",
    "profiles": "Professional profiles: <industry>_<role> (bot admins keep the list)",
    "privacy": "Erase a user's data on request (bot admins)",
    "moderation": "Take down shared personas and restore them (admins)",
    "limits": "Budgets: messages a minute, tokens a day or month, spoken characters (admins)",
    "lore": "A persona's lorebook: entries that go into the prompt when their keys come up",
    "chat": "Several chats with the active persona: new, list, switch, rename, delete, summary",
    "model": "Choose the model for this space",
    "preset": "Manage preset personas (admins)",
    "channel": "Channels where the bot answers every message (server admins)",
    "voice": "Spoken replies and persona voices",
    "jobs": "Scheduled jobs (bot admins)",
}

REGISTRY: dict[tuple[str, ...], CommandSpec] = {}


def _check_signature(
    path: tuple[str, ...],
    fn: Handler,
    params: tuple[Param, ...],
    target: Target | None,
    progress: bool = False,
) -> None:
    """The handler takes (services, ctx) and one keyword per declared parameter (and `target`
    when it declares one): checked once, at import, so a typo fails at start-up."""
    found = list(inspect.signature(fn).parameters.values())[2:]
    named = {p.name for p in found if p.kind is not p.VAR_KEYWORD}
    rest = any(p.kind is p.VAR_KEYWORD for p in found)  # **given takes the declared rest
    wanted = {p.arg for p in params} | ({"target"} if target else set())
    wanted |= {"progress"} if progress else set()
    if not named <= wanted or (named != wanted and not rest):
        raise TypeError(
            f"/{' '.join(path)}: handler takes {sorted(named)}, declared {sorted(wanted)}"
        )


def command(
    *path: str,
    help: str,
    params: tuple[Param, ...] = (),
    rights: Level = "user",
    target: Target | None = None,
    confirm: str | Question | None = None,
    form: Form | None = None,
    picker: Picker | None = None,
    wizard: Wizard | None = None,
    doing: str = "",
    surfaces: tuple[str, ...] = (),
    progress: bool = False,
    anyone: bool = False,
) -> Callable[[Handler], Handler]:
    """Register a handler under `path` with its parameters, rights and help text."""

    def wrap(fn: Handler) -> Handler:
        if path in REGISTRY:
            raise RuntimeError(f"command {path} declared twice")
        _check_signature(path, fn, params, target, progress)
        REGISTRY[path] = CommandSpec(
            path,
            help,
            params,
            fn,
            rights,
            target,
            confirm,
            form,
            picker,
            wizard,
            doing,
            surfaces,
            progress,
            anyone,
        )
        return fn

    return wrap


def all_commands() -> list[CommandSpec]:
    """Every declared command (imports the modules that declare them)."""
    from bot.commands import (  # noqa: F401
        access,
        cards,
        channel,
        chat,
        chats,
        general,
        jobs,
        knowledge,
        limits,
        links,
        lore,
        me,
        memory,
        models,
        moderation,
        persona,
        preset,
        profiles,
        retire,
        scenes,
        versions,
        voice,
    )

    return sorted(REGISTRY.values(), key=lambda c: c.path)
