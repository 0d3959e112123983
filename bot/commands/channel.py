"""/channel chat|list: channels where the bot answers without being mentioned."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.errors import BadInput, PermissionDenied
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core


def _server_channel(ctx: Context) -> str:
    if ctx.private_space or not ctx.who.channel_ref:
        raise BadInput("chat channels are for servers and groups; here I answer every message")
    return ctx.who.channel_ref


@command(
    "channel",
    "chat",
    help="Answer every message in this channel, without a mention (on), or stop (off)",
    params=(Param("mode", "on or off", required=True, positional=True, choices=("on", "off")),),
    admin=True,
)
async def channel_chat(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Mark or unmark the current channel as a chat channel."""
    channel = _server_channel(ctx)
    if not ctx.space_admin:
        raise PermissionDenied("only admins of this server or group can choose chat channels")
    on = args["mode"] == "on"
    changed = await core.set_chat_channel(ctx, channel, on)
    if on:
        text = (
            "I will answer every message in this channel."
            if changed
            else ("This is already a chat channel.")
        )
    else:
        text = (
            "I will answer here only when mentioned or replied to."
            if changed
            else ("This was not a chat channel.")
        )
    return Reply(text=text, ephemeral=True)


@command("channel", "list", help="The chat channels of this server")
async def channel_list(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """List the chat channels of this space."""
    _server_channel(ctx)
    refs = sorted(await core.chat_channels(ctx.space_id))
    if not refs:
        return Reply(
            text="No chat channels here: I answer when mentioned, replied to, or in my threads.",
            ephemeral=True,
        )
    mention = "<#{}>" if ctx.who.platform == "discord" else "{}"
    lines = ["Chat channels (I answer every message there):"]
    lines += [f"  {mention.format(r)}" for r in refs]
    return Reply(text="\n".join(lines), ephemeral=True)
