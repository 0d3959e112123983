"""/me link and /me unlink: one person across platforms."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.links import Links
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services


def _links(s: Services) -> Links:
    assert s.links is not None
    return s.links


async def _consent(s: Services, ctx: Context, args: Mapping[str, Any]) -> str:
    """No question to show a code; entering one asks this account's consent first."""
    code = args.get("code")
    if not code:
        return ""
    platform, ref = await _links(s).check(ctx, str(code))
    return (
        f"Link this {ctx.who.platform} account with {platform} account {ref}? From then on "
        "both are one person to the bot: the same personas, memories and settings on either. "
        "What this account holds now is set aside; /me unlink brings it back (what you do "
        "while linked stays with the other account)."
    )


@command(
    "me",
    "link",
    help="Be one person on two platforms: get a code here, enter it on your other account",
    params=(
        Param("code", "the code your other account showed (omit to get one)", positional=True),
    ),
    confirm=_consent,
)
async def me_link(s: Services, ctx: Context, code: str | None) -> Reply:
    """Without a code: a fresh one, shown only here. With one: link (once confirmed)."""
    links = _links(s)
    if not code:
        shown = await links.new_code(ctx)
        return Reply(
            text=f"Your link code: {shown}\nOn your other account (Discord, Telegram or the "
            f"console), send: /me link {shown}\nIt works once, for 10 minutes. Don't share "
            "it: whoever enters it becomes you here.",
            ephemeral=True,
        )
    platform, ref = await links.link(ctx, code)
    return Reply(
        text=f"Linked: this account and {platform} account {ref} are one person now — the "
        "same personas and memories on both. /me unlink splits them again.",
        ephemeral=True,
    )


@command("me", "unlink", help="Split this account from your other linked accounts")
async def me_unlink(s: Services, ctx: Context) -> Reply:
    """From now on each account is its own user again."""
    moved = await _links(s).unlink(ctx)
    whom = "this account is" if moved == 1 else f"{moved} accounts are"
    return Reply(
        text=f"Unlinked: {whom} on its own again, with what it held before linking. What you "
        "did while linked stays with the account you linked to.",
        ephemeral=True,
    )
