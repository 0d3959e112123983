"""The one road for commands: typed arguments, rights, confirmation, and the one error handler.

Everything declared on a command (bot/commands/spec.py) is enforced here, before the handler
runs; handlers hold only business logic and never re-check a right.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from bot.commands.parse import convert
from bot.commands.spec import LEVELS, CommandSpec, Level, Param, Target
from bot.errors import BadInput, BotError, PermissionDenied
from bot.messages import Attachment, CommandCall, ProgressSink, Reply, Who

if TYPE_CHECKING:
    from bot.confirm import Confirmations
    from bot.context import Context
    from bot.services import Services
    from personas.model import Persona

log = logging.getLogger(__name__)

OOPS = "Something went wrong; it has been logged."
NUMERIC = ("int", "float", "bool")


async def guard(work: Awaitable[Reply], what: str) -> Reply:
    """The one error handler: a BotError is its message; anything else is logged once, with
    its trace, and answered with one short line."""
    try:
        return await work
    except BotError as err:
        silent = getattr(err, "silent", False)
        return Reply(text=err.message, error=True, ephemeral=True, silent=silent)
    except Exception as exc:
        # The trace goes into the message itself, so every log sink keeps it.
        log.error("%s failed:\n%s", what, "".join(traceback.format_exception(exc)).rstrip())
        return Reply(text=OOPS, error=True, ephemeral=True)


def clean(text: str) -> str:
    """Text as it may travel on: a lone surrogate (broken UTF-16 from a client) becomes "?"
    instead of failing later — in the database, the tokenizer, or someone else's batch."""
    return text.encode("utf-8", "replace").decode("utf-8")


def meets(ctx: Context, level: Level) -> bool:
    """Does this actor hold `level` here?"""
    if level == "space":
        return ctx.private_space or ctx.space_admin
    if level == "space_admin":
        return ctx.space_admin
    if level == "bot_admin":
        return ctx.bot_admin
    return True


def refusal(ctx: Context, level: Level, doing: str) -> PermissionDenied:
    """A refusal that names the right that is missing."""
    if level == "space":
        return PermissionDenied(
            f"only admins of this server or group can {doing} there (in a DM, anyone can)"
        )
    who = LEVELS[level].replace("<platform>", ctx.who.platform)
    return PermissionDenied(f"only {who} can {doing}")


def typed(
    spec: CommandSpec, args: Mapping[str, Any], files: tuple[Attachment, ...]
) -> dict[str, Any]:
    """The declared parameters, each converted to its type and checked once, whatever the
    surface sent (parsed text, Discord options, button data)."""
    by_name = {p.name: p for p in spec.params}
    unknown = sorted(set(args) - set(by_name))
    if unknown:
        raise BadInput(f"{spec.name} has no option '{unknown[0]}' — usage: {spec.usage()}")
    out: dict[str, Any] = {}
    uploads = list(files)
    for p in spec.params:
        value = args.get(p.name)
        if isinstance(value, str):
            value = clean(value)
        if p.type == "file":
            value = uploads.pop(0) if uploads else None  # files travel beside the text
            if value is None and p.required:
                raise BadInput(f"attach {p.help} to {spec.name}")
        elif value is not None and (
            p.choices or (isinstance(value, str) and p.type in NUMERIC) or p.type == "int"
        ):
            value = convert(p, str(value))  # bounds too, whatever the surface sent
        if value is None and p.required and p.type != "file":
            raise BadInput(f"{spec.name} needs {p.name} — usage: {spec.usage()}")
        if isinstance(value, int | float) and not isinstance(value, bool):
            low = p.min if p.min is not None else float("-inf")
            high = p.max if p.max is not None else float("inf")
            if not low <= value <= high:
                raise BadInput(f"{p.name} must be {_range(p)} (got {value:g})")
        out[p.name] = value
    return out


def _range(p: Param) -> str:
    if p.min is not None and p.max is not None:
        return f"between {p.min:g} and {p.max:g}"
    return f"at least {p.min:g}" if p.min is not None else f"at most {p.max:g}"


class Dispatcher:
    """Runs declared commands for every surface; answers confirmations."""

    def __init__(
        self,
        services: Services,
        context: Callable[[Who], Awaitable[Context]],
        confirmations: Confirmations,
        commands: Mapping[tuple[str, ...], CommandSpec],
    ) -> None:
        self.services = services
        self.context = context
        self.confirmations = confirmations
        self.commands = commands

    async def command(self, call: CommandCall, progress: ProgressSink | None = None) -> Reply:
        """Run one command; every failure becomes an error Reply. `progress` hears how far
        long work has come (commands declared with progress)."""
        return await guard(self._command(call, progress), "/" + " ".join(call.path))

    async def confirm(self, token: str, who: Who, accept: bool) -> Reply:
        """Answer a pending confirmation (buttons, or yes/no on text surfaces)."""
        return await guard(self.confirmations.answer(token, who, accept), "a confirmation")

    def spec(self, path: tuple[str, ...]) -> CommandSpec:
        """The declaration of `path`, or a clear refusal."""
        spec = self.commands.get(path)
        if spec is None:
            raise BadInput(f"unknown command /{' '.join(path)} — /help lists the commands")
        return spec

    async def _command(self, call: CommandCall, progress: ProgressSink | None) -> Reply:
        spec = self.spec(call.path)
        if not spec.offered_on(call.who.platform):
            raise BadInput(f"{spec.name} is not used here — /help lists the commands")
        ctx = await self.context(call.who)
        if not spec.anyone and self.services.access is not None:
            await self.services.access.check(ctx, command=True)
        args = typed(spec, call.args, call.attachments)
        self.check(spec, ctx, args)
        target = await self.target(spec, ctx, args)
        kwargs = {p.arg: args[p.name] for p in spec.params}
        if spec.target is not None:
            kwargs["target"] = target
        if spec.progress:
            kwargs["progress"] = progress or _quiet

        async def run() -> Reply:
            return await spec.handler(self.services, ctx, **kwargs)

        if spec.confirm is None:
            return await run()
        if isinstance(spec.confirm, str):
            question = spec.confirm.format(target=target, **args)
        else:
            question = await spec.confirm(self.services, ctx, {**args, "target": target})
            if not question:  # the declared question says this call needs none
                return await run()
        return self.confirmations.ask(ctx.who, f"{question} This cannot be undone.", run)

    def check(self, spec: CommandSpec, ctx: Context, args: Mapping[str, Any]) -> None:
        """The command's level, then the level of each option given."""
        if not meets(ctx, spec.rights):
            raise refusal(ctx, spec.rights, spec_doing(spec))
        for p in spec.params:
            if args.get(p.name) and not meets(ctx, p.rights):
                raise refusal(ctx, p.rights, f"use {p.name}=yes")

    async def target(
        self, spec: CommandSpec, ctx: Context, args: Mapping[str, Any]
    ) -> Persona | None:
        """Resolve the persona the command changes and check the caller may change it."""
        t = spec.target
        if t is None:
            return None
        personas = self.services.personas
        name = args.get(t.param)
        if t.only_if is not None and args.get(t.only_if[0]) not in t.only_if[1]:
            # Not a change this time (e.g. knowledge show): resolved, not checked.
            return await personas.find(ctx, name) if name else await personas.active(ctx)
        if t.right == "preset":
            p = await personas.preset(ctx, str(name))
        elif name:
            p = await personas.find(ctx, str(name), retired=t.retired)
        else:
            p = await personas.active(ctx)
        check_target(ctx, t, p)
        return p


async def _quiet(text: str) -> None:
    """Progress nobody shows (a surface that passed no sink)."""


def spec_doing(spec: CommandSpec) -> str:
    """What a refusal says the user tried: the declared phrase, else the command itself."""
    return spec.doing or f"use {spec.name}"


def check_target(ctx: Context, t: Target, p: Persona) -> None:
    """The owner of `p`, or (by the declared right) the admins of a preset, else a refusal."""
    if t.refusal and (p.is_preset or p.owner_id != ctx.user_id) and t.right == "owner":
        raise PermissionDenied(t.refusal.format(name=p.name))
    if not p.is_preset:
        if t.right == "preset":
            raise BadInput(f"'{p.name}' is not a preset")
        if p.owner_id != ctx.user_id:
            raise PermissionDenied(f"only the owner of '{p.name}' can {t.doing}")
        return
    if t.right == "owner":
        raise PermissionDenied(f"'{p.name}' is a preset — admins change presets with /preset edit")
    platform = ctx.who.platform
    if p.space_id is None and not ctx.bot_admin:
        raise PermissionDenied(
            f"only bot admins (admins.{platform} in config.yaml) can {t.presets} that are global"
        )
    if not ctx.space_admin:
        raise PermissionDenied(f"only admins of this space can {t.presets}")
