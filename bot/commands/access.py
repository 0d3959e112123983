"""/access: who may use the bot in a server or group (its admins), and the block list of a
whole platform (bot admins)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.access import Access, global_scope, space_scope
from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services

KINDS = ("user", "role", "channel")
# Discord's mention syntax (users <@id> or <@!id>, roles <@&id>, channels <#id>).
_MENTION = re.compile(r"<(@!?|@&|#)(\d+)>")
_MENTION_KIND = {"@": "user", "@!": "user", "@&": "role", "#": "channel"}
# Plain ids: Discord snowflakes, Telegram user and chat ids (negative), topics ("chat:topic").
_ID = re.compile(r"-?\d{1,20}(:\d{1,12})?")

KIND = Param("kind", "what the id names", choices=KINDS)
ID = Param(
    "id",
    "a user, role or channel: its id or mention (here: this channel)",
    required=True,
    positional=True,
)
GLOBAL = Param(
    "global", "the platform's block list instead of this place's", type="bool", rights="bot_admin"
)


def _access(s: Services) -> Access:
    assert s.access is not None
    return s.access


def _target(ctx: Context, kind: str | None, given: str, global_: bool | None) -> tuple[str, str]:
    """(kind, ref) from an id, a mention or `here`, checked against this platform (the
    platform's list holds users only: a bare id there is a user's)."""
    kind = kind or ("user" if global_ else None)
    text = given.strip()
    mention = _MENTION.fullmatch(text)
    if text.lower() == "here":
        found, ref = "channel", ctx.who.channel_ref
        if not ref:
            raise BadInput("there is no channel here to name")
    elif mention is not None:
        found, ref = _MENTION_KIND[mention.group(1)], mention.group(2)
    elif _ID.fullmatch(text):
        found, ref = "", text
    else:
        raise BadInput(
            f"'{given[:40]}' is not an id: give a number, a mention, or `here` for this channel"
        )
    if found and kind and found != kind:
        raise BadInput(f"that names a {found}, not a {kind}")
    kind = kind or found
    if not kind:
        raise BadInput("say what the id names: kind=user, kind=role or kind=channel")
    if kind == "role" and ctx.who.platform != "discord":
        raise BadInput(f"{ctx.who.platform} has no roles: name users or channels")
    return kind, ref


def _scope(ctx: Context, global_: bool | None) -> str:
    if global_:
        return global_scope(ctx.who.platform)
    if ctx.private_space:
        raise BadInput(
            "access lists are kept per server or group; in a private chat only a bot admin's "
            "global=yes block applies"
        )
    return space_scope(ctx.space_id)


def _entry(ctx: Context, kind: str, ref: str) -> str:
    """An entry as the platform shows it: a mention on Discord (it names without pinging in
    our replies), the id elsewhere."""
    if ctx.who.platform != "discord":
        return ref
    return {"user": f"<@{ref}>", "role": f"<@&{ref}>", "channel": f"<#{ref}>"}[kind] + f" ({ref})"


@command("access", "show", help="Who may use the bot here", rights="space_admin")
async def access_show(s: Services, ctx: Context) -> Reply:
    """This place's lists, what they mean together, and the platform's block list for bot
    admins."""
    access = _access(s)
    lines: list[str] = []
    if not ctx.private_space:
        rules = await access.repo.rules(space_scope(ctx.space_id))
        for mode in ("allow", "block"):
            for kind in KINDS:
                refs = [r.ref for r in rules if r.mode == mode and r.kind == kind]
                if refs:
                    listed = ", ".join(_entry(ctx, kind, ref) for ref in refs)
                    lines.append(f"{mode.title()}ed {kind}s: {listed}")
        if not rules:
            lines.append("Everyone may use the bot in every channel here.")
        else:
            lines.append(
                "Blocked wins over allowed; where users or roles are allowed, only they may use "
                "the bot; where channels are allowed, only those. Admins of this place pass "
                "the user and role lists."
            )
    if ctx.bot_admin:
        blocked = await access.repo.rules(global_scope(ctx.who.platform))
        names = ", ".join(r.ref for r in blocked) or "nobody"
        lines.append(f"Blocked on all of {ctx.who.platform}: {names}")
    return Reply(text="\n".join(lines), ephemeral=True)


async def _put(s: Services, ctx: Context, kind: str, ref: str, scope: str, mode: str) -> str:
    if mode == "block" and kind == "user":
        if ref == ctx.who.user_ref:
            raise BadInput("you can't block yourself")
        if ref in s.settings.admins.ids(ctx.who.platform):
            raise BadInput("bot admins can't be blocked")
    access = _access(s)
    before = await access.repo.put(scope, kind, ref, mode)
    access.changed(scope)
    if before == mode:
        return f"{_entry(ctx, kind, ref)} was already {mode}ed."
    moved = f" (it was {before}ed)" if before else ""
    return f"{mode.title()}ed {kind} {_entry(ctx, kind, ref)}{moved}."


@command(
    "access",
    "allow",
    help="Let a user, role or channel use the bot here (once any is allowed, only they may)",
    rights="space_admin",
    params=(ID, KIND),
)
async def access_allow(s: Services, ctx: Context, id: str, kind: str | None) -> Reply:
    """Add to this place's allowed list."""
    found, ref = _target(ctx, kind, id, False)
    text = await _put(s, ctx, found, ref, _scope(ctx, False), "allow")
    return Reply(text=text, ephemeral=True)


@command(
    "access",
    "block",
    help="Keep a user, role or channel from the bot here (global: a user, everywhere)",
    rights="space_admin",
    params=(ID, KIND, GLOBAL),
)
async def access_block(
    s: Services, ctx: Context, id: str, kind: str | None, global_: bool | None
) -> Reply:
    """Add to this place's block list, or the platform's."""
    found, ref = _target(ctx, kind, id, global_)
    if global_ and found != "user":
        raise BadInput("the global list blocks users only")
    text = await _put(s, ctx, found, ref, _scope(ctx, global_), "block")
    return Reply(text=text, ephemeral=True)


@command(
    "access",
    "remove",
    help="Take a user, role or channel off this place's lists (global: the platform's)",
    rights="space_admin",
    params=(ID, KIND, GLOBAL),
)
async def access_remove(
    s: Services, ctx: Context, id: str, kind: str | None, global_: bool | None
) -> Reply:
    """Delete the entry, whichever list it is on."""
    found, ref = _target(ctx, kind, id, global_)
    scope = _scope(ctx, global_)
    access = _access(s)
    if not await access.repo.remove(scope, found, ref):
        raise BadInput(f"{_entry(ctx, found, ref)} is not on the lists")
    access.changed(scope)
    return Reply(text=f"Took {found} {_entry(ctx, found, ref)} off the lists.", ephemeral=True)
