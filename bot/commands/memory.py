"""/memory list|wipe over the chat log of (you, the active persona)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.messages import Reply
from storage.repos import OwnerKey

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core

PAGE = 10


@command(
    "memory",
    "list",
    help="Show your recent messages with the active persona",
    params=(Param("page", "page number, newest first", type="int", positional=True),),
)
async def memory_list(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """One page of this (user, persona)'s turns."""
    persona = await core.personas.active(ctx)
    owner = OwnerKey(ctx.user_id, persona.id)
    total = await core.turns.count(owner)
    if total == 0:
        return Reply(text=f"You have no messages with {persona.display_name} yet.", ephemeral=True)
    page = max(1, int(args.get("page") or 1))
    pages = (total + PAGE - 1) // PAGE
    page = min(page, pages)
    # Newest page first: page 1 = the last PAGE turns.
    turns = await core.turns.recent(owner, page * PAGE)
    shown = turns[: len(turns) - (page - 1) * PAGE][-PAGE:]
    lines = [f"Messages with {persona.display_name} (page {page}/{pages}, {total} in all):"]
    for t in shown:
        who = "you" if t.role == "user" else persona.display_name
        text = t.content if len(t.content) <= 200 else t.content[:199] + "…"
        lines.append(f"  #{t.id} {t.created_at:%Y-%m-%d %H:%M} {who}: {text}")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "memory",
    "wipe",
    help="Delete every message between you and the active persona (asks first)",
    confirms=True,
)
async def memory_wipe(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Ask, then delete this (user, persona)'s turns."""
    persona = await core.personas.active(ctx)
    owner = OwnerKey(ctx.user_id, persona.id)
    count = await core.turns.count(owner)

    async def wipe() -> Reply:
        n = await core.turns.wipe(owner)
        return Reply(text=f"Deleted {n} messages with {persona.display_name}.", ephemeral=True)

    return core.confirmations.ask(
        ctx.who,
        f"Delete all {count} messages between you and {persona.display_name}? "
        "This cannot be undone.",
        wipe,
    )
