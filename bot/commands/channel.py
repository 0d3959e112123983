"""/channel chat|list: channels where the bot answers without being mentioned."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services


def _server_channel(ctx: Context) -> str:
    if ctx.private_space or not ctx.who.channel_ref:
        raise BadInput("chat channels are for servers and groups; here I answer every message")
    return ctx.who.channel_ref


@command(
    "channel",
    "chat",
    help="Answer every message in this channel, without a mention (on), or stop (off)",
    params=(Param("mode", "on or off", required=True, positional=True, choices=("on", "off")),),
    rights="space",
    doing="choose chat channels",
)
async def channel_chat(s: Services, ctx: Context, mode: str) -> Reply:
    """Mark or unmark the current channel as a chat channel."""
    on = mode == "on"
    changed = await s.channels.set(ctx.space_id, _server_channel(ctx), on, ctx.user_id)
    if on:
        text = (
            "I will answer every message in this channel."
            if changed
            else "This is already a chat channel."
        )
    else:
        text = (
            "I will answer here only when mentioned or replied to."
            if changed
            else "This was not a chat channel."
        )
    return Reply(text=text, ephemeral=True)


@command("channel", "list", help="The chat channels of this server")
async def channel_list(s: Services, ctx: Context) -> Reply:
    """List the chat channels of this space."""
    _server_channel(ctx)
    refs = sorted(await s.channels.of_space(ctx.space_id))
    if not refs:
        return Reply(
            text="No chat channels here: I answer when mentioned, replied to, or in my threads.",
            ephemeral=True,
        )
    mention = "<#{}>" if ctx.who.platform == "discord" else "{}"
    lines = ["Chat channels (I answer every message there):"]
    lines += [f"  {mention.format(r)}" for r in refs]
    return Reply(text="\n".join(lines), ephemeral=True)
