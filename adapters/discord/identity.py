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


def _parents(channel: object) -> tuple[str, ...]:
    """What holds a channel, for access lists: a thread's channel, and the category."""
    found = [getattr(channel, "parent_id", None), getattr(channel, "category_id", None)]
    return tuple(dict.fromkeys(str(x) for x in found if x))


def _roles(user: object) -> tuple[str, ...]:
    """A member's role ids (the guild's @everyone role included)."""
    return tuple(str(r.id) for r in getattr(user, "roles", ()) or ())


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
        roles=_roles(user),
        channel_parents=_parents(interaction.channel),
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
        roles=_roles(author),
        channel_parents=_parents(message.channel),
    )


def strip_mention(text: str, bot_id: int) -> str:
    """The message without the leading (or any) mention of the bot."""
    return re.sub(rf"<@!?{bot_id}>", "", text).strip()
