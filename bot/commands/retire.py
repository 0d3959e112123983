"""/persona retire|unretire: retirement plans (the retirement job carries them out)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.persona import NAME
from bot.commands.spec import Form, Param, Target, command
from bot.errors import BadInput
from bot.messages import Reply
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from personas.model import Persona

RETIRES = Target("name", "change", retired=True, doing="retire it", presets="retire presets")


@command(
    "persona",
    "retire",
    help="Plan a persona's retirement: its users get a farewell, its memories an archive",
    params=(
        NAME,
        Param("after", "retire after this many days without a message", type="int", min=1),
        Param("on", "retire on this date, e.g. 2026-12-24 (UTC)"),
        Param("farewell", "what it says to each of its users when it goes", long=True),
    ),
    target=RETIRES,
    form=Form(("farewell",)),
)
async def persona_retire(
    s: Services,
    ctx: Context,
    name: str,
    after: int | None,
    on: str | None,
    farewell: str | None,
    target: Persona,
) -> Reply:
    """Owners retire their personas; admins retire presets."""
    if after is not None and on:
        raise BadInput("give after= or on=, not both")
    when = await s.retirement.plan(
        target, after=after, on=on, farewell=farewell or "", now=utcnow()
    )
    return Reply(
        text=f"{target.display_name} will retire {when}. "
        f"/persona unretire {target.name} cancels it.",
        ephemeral=True,
    )


@command(
    "persona",
    "unretire",
    help="Cancel a retirement plan, or bring a retired persona back",
    params=(NAME,),
    target=RETIRES,
)
async def persona_unretire(s: Services, ctx: Context, name: str, target: Persona) -> Reply:
    """Drop the plan; a retired persona becomes usable again."""
    await s.retirement.cancel(target)
    if target.status == "retired":
        text = f"{target.display_name} is back: /persona switch {target.name} to talk to it again."
    elif target.retire_on or target.retire_after_days:
        text = f"{target.display_name} is not retiring."
    else:
        text = f"{target.display_name} had no retirement plan; nothing changed."
    return Reply(text=text, ephemeral=True)
