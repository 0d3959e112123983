"""/persona retire|unretire: retirement plans (the retirement job carries them out)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.persona import NAME
from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core


@command(
    "persona",
    "retire",
    help="Plan a persona's retirement: its users get a farewell, its memories an archive",
    params=(
        NAME,
        Param("after", "retire after this many days without a message", type="int"),
        Param("on", "retire on this date, e.g. 2026-12-24 (UTC)"),
        Param("farewell", "what it says to each of its users when it goes", long=True),
    ),
)
async def persona_retire(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Owners retire their personas; admins retire presets."""
    if args.get("after") is not None and args.get("on"):
        raise BadInput("give after= or on=, not both")
    p, when = await core.retirement.plan(
        ctx,
        args["name"],
        after=args.get("after"),
        on=args.get("on"),
        farewell=str(args.get("farewell") or ""),
        now=utcnow(),
    )
    return Reply(
        text=f"{p.display_name} will retire {when}. /persona unretire {p.name} cancels it.",
        ephemeral=True,
    )


@command(
    "persona",
    "unretire",
    help="Cancel a retirement plan, or bring a retired persona back",
    params=(NAME,),
)
async def persona_unretire(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Drop the plan; a retired persona becomes usable again."""
    p = await core.retirement.cancel(ctx, args["name"])
    return Reply(text=f"{p.display_name} is not retiring.", ephemeral=True)
