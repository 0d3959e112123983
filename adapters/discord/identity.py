"""Who is acting, from Discord objects: users, guilds, channels, permissions."""

from __future__ import annotations

import re

import discord

from bot.messages import Who

PLATFORM = "discord"


def _user_name(user: discord.abc.User) -> str:
    return user.display_name or user.name


def _channel_ref(channel: object) -> str:
    return str(getattr(channel, "id", "") or "")


def who_of_interaction(interaction: discord.Interaction) -> Who:
    """Identity of the user who ran a command or pressed a button."""
    user = interaction.user
    if interaction.guild_id is None:
        return Who(PLATFORM, str(user.id), _user_name(user), f"dm:{user.id}", "dm")
    perms = interaction.permissions
    return Who(
        PLATFORM,
        str(user.id),
        _user_name(user),
        str(interaction.guild_id),
        "group",
        space_admin=perms.manage_guild or perms.administrator,
        channel_ref=str(interaction.channel_id or ""),
    )


def who_of_message(message: discord.Message) -> Who:
    """Identity of a message's author, in the server (or DM) it was sent to."""
    author = message.author
    if message.guild is None:
        return Who(PLATFORM, str(author.id), _user_name(author), f"dm:{author.id}", "dm")
    admin = False
    if isinstance(author, discord.Member):
        perms = author.guild_permissions
        admin = perms.manage_guild or perms.administrator
    return Who(
        PLATFORM,
        str(author.id),
        _user_name(author),
        str(message.guild.id),
        "group",
        space_admin=admin,
        channel_ref=_channel_ref(message.channel),
    )


def strip_mention(text: str, bot_id: int) -> str:
    """The message without the leading (or any) mention of the bot."""
    return re.sub(rf"<@!?{bot_id}>", "", text).strip()
