"""/limits: the budgets in force here, set and reset by admins (spaces: their admins, users:
bot admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.budgets import KEYS, USER_KEYS, Budgets
from bot.commands.spec import Param, command
from bot.errors import BadInput, PermissionDenied
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services

USER = Param(
    "user",
    "a user's id on this platform: their own limit instead of this place's",
    rights="bot_admin",
)
KEY = Param("key", "which limit", choices=KEYS, required=True, positional=True)


def _budgets(s: Services) -> Budgets:
    assert s.budgets is not None
    return s.budgets


async def _scope(s: Services, ctx: Context, user: str | None) -> str:
    """ "user:<id>" (the dispatcher lets only bot admins name one) or this space's."""
    if user:
        return f"user:{await _budgets(s).user_id(ctx.who.platform, user)}"
    return f"space:{ctx.space_id}"


@command(
    "limits", "show", help="The budgets in force here and where each comes from", params=(USER,)
)
async def limits_show(s: Services, ctx: Context, user: str | None) -> Reply:
    """Each limit, its value (0: none) and whether config, this place or the user set it."""
    budgets = _budgets(s)
    shown = ctx
    if user:
        shown = await budgets.as_user(ctx, user)
    lines = ["Limits here (0 = none):"]
    for key, (value, source) in (await budgets.limits(shown)).items():
        lines.append(f"  {key}: {value:,} ({source})")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "limits",
    "set",
    help="Set a limit for this place (its admins: only below config's) or a user (bot admins)",
    rights="space",
    params=(
        KEY,
        Param("value", "the limit (0: none)", type="int", required=True, positional=True, min=0),
        USER,
    ),
)
async def limits_set(s: Services, ctx: Context, key: str, value: int, user: str | None) -> Reply:
    """Store the override."""
    budgets = _budgets(s)
    scope = await _scope(s, ctx, user)
    if scope.startswith("user:") and key not in USER_KEYS:
        raise BadInput(f"{key} is a limit of a place, not of a user")
    configured = int(getattr(budgets.cfg, key))
    loosens = configured and (value == 0 or value > configured)
    if scope.startswith("space:") and loosens and not ctx.bot_admin:
        raise PermissionDenied(
            f"budgets.{key} is {configured:,} in config: this place may only go lower "
            "(bot admins can raise it)"
        )
    await budgets.set(scope, key, value)
    whom = f"user {user}" if user else "this place"
    return Reply(
        text=f"{key} for {whom}: {value:,}" + (" (no limit)" if value == 0 else ""), ephemeral=True
    )


@command(
    "limits",
    "reset",
    help="Back to config's limits for this place or a user (one limit, or all)",
    rights="space",
    params=(Param("key", "which limit (default: all)", choices=KEYS, positional=True), USER),
)
async def limits_reset(s: Services, ctx: Context, key: str | None, user: str | None) -> Reply:
    """Drop overrides."""
    scope = await _scope(s, ctx, user)
    gone = await _budgets(s).reset(scope, key)
    whom = f"user {user}" if user else "this place"
    return Reply(
        text=f"Reset {gone} limit{'s' if gone != 1 else ''} of {whom} to config's.", ephemeral=True
    )
