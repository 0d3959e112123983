"""Gateway events (GUILD_CREATE, MESSAGE_CREATE, INTERACTION_CREATE) as Discord sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.support.fake_discord import (
    APP_ID,
    BOT_ID,
    BOT_USER,
    GUILD_ID,
    MANAGE_GUILD,
    MEMBER_PERMISSIONS,
    snowflake,
    user,
)

ADMIN_ROLE = 800000000000000002
REGULAR_ROLE = 800000000000000003  # a role with no rights, for access lists
CHANNEL_ID = 800000000000000010  # general
QUIET_ID = 800000000000000011  # a channel where the bot may not manage webhooks
THREAD_ID = 800000000000000020  # a thread the bot started in #general
OTHER_THREAD_ID = 800000000000000021  # a thread someone else started


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _member(u: dict[str, Any], roles: list[int]) -> dict[str, Any]:
    return {
        "user": u,
        "roles": [str(r) for r in roles],
        "joined_at": _now(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "nick": None,
    }


def _thread(tid: int, owner: int, name: str) -> dict[str, Any]:
    return {
        "id": str(tid),
        "type": 11,
        "guild_id": str(GUILD_ID),
        "parent_id": str(CHANNEL_ID),
        "owner_id": str(owner),
        "name": name,
        "message_count": 1,
        "member_count": 2,
        "rate_limit_per_user": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": _now(),
            "locked": False,
        },
    }


def guild_create() -> dict[str, Any]:
    """The server the bot has just joined: #general, #quiet, two threads, an admin role."""

    def text_channel(cid: int, name: str, pos: int) -> dict[str, Any]:
        return {
            "id": str(cid),
            "type": 0,
            "name": name,
            "position": pos,
            "permission_overwrites": [],
            "guild_id": str(GUILD_ID),
            "nsfw": False,
        }

    return {
        "id": str(GUILD_ID),
        "name": "Test server",
        "icon": None,
        "owner_id": "1",
        "roles": [
            {
                "id": str(GUILD_ID),
                "name": "@everyone",
                "permissions": str(MEMBER_PERMISSIONS),
                "position": 0,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            {
                "id": str(ADMIN_ROLE),
                "name": "admin",
                "permissions": str(MEMBER_PERMISSIONS | MANAGE_GUILD),
                "position": 1,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": False,
                "flags": 0,
            },
            {
                "id": str(REGULAR_ROLE),
                "name": "regulars",
                "permissions": str(MEMBER_PERMISSIONS),
                "position": 2,
                "color": 0,
                "hoist": False,
                "managed": False,
                "mentionable": True,
                "flags": 0,
            },
        ],
        "channels": [text_channel(CHANNEL_ID, "general", 0), text_channel(QUIET_ID, "quiet", 1)],
        "threads": [
            _thread(THREAD_ID, BOT_ID, "chat with luna"),
            _thread(OTHER_THREAD_ID, 5, "someone's thread"),
        ],
        "members": [_member(BOT_USER, [])],
        "member_count": 3,
        "emojis": [],
        "stickers": [],
        "features": [],
        "large": False,
        "joined_at": _now(),
        "voice_states": [],
        "presences": [],
        "premium_tier": 0,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 0,
        "explicit_content_filter": 0,
        "mfa_level": 0,
        "nsfw_level": 0,
        "preferred_locale": "en-US",
        "system_channel_flags": 0,
    }


def message_create(
    author: dict[str, Any],
    content: str,
    *,
    channel: int | None = CHANNEL_ID,
    admin: bool = False,
    mentions: tuple[dict[str, Any], ...] = (),
    reply_to: dict[str, Any] | None = None,
    dm_channel: int | None = None,
    attachments: list[dict[str, Any]] | None = None,
    roles: tuple[int, ...] = (),
) -> dict[str, Any]:
    """A MESSAGE_CREATE event: in the server (default) or, with dm_channel, a DM."""
    data: dict[str, Any] = {
        "id": str(snowflake()),
        "channel_id": str(dm_channel or channel),
        "author": author,
        "content": content,
        "timestamp": _now(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": list(mentions),
        "mention_roles": [],
        "attachments": attachments or [],
        "embeds": [],
        "pinned": False,
        "type": 19 if reply_to else 0,
        "flags": 0,
        "components": [],
    }
    if dm_channel is None:
        data["guild_id"] = str(GUILD_ID)
        member = _member(author, [ADMIN_ROLE] * admin + list(roles))
        del member["user"]
        data["member"] = member
    if reply_to is not None:
        data["message_reference"] = {
            "message_id": reply_to["id"],
            "channel_id": reply_to["channel_id"],
            "guild_id": str(GUILD_ID),
        }
        data["referenced_message"] = reply_to
    return data


def bot_message(content: str, *, webhook: bool = False) -> dict[str, Any]:
    """A message the bot posted earlier (as itself, or through its webhook)."""
    data = message_create(BOT_USER, content)
    if webhook:
        hook = snowflake()
        data["webhook_id"] = str(hook)
        data["application_id"] = str(APP_ID)
        data["author"] = user(hook, "Luna", bot=True)
    return data


def _options(options: dict[str, Any], focused: str | None) -> list[dict[str, Any]]:
    kinds = {bool: 5, int: 4, float: 10, str: 3}
    out = []
    for name, value in options.items():
        item: dict[str, Any] = {"name": name, "type": kinds[type(value)], "value": value}
        if name == focused:
            item["focused"] = True
        out.append(item)
    return out


def interaction(
    author: dict[str, Any],
    kind: int,
    data: dict[str, Any],
    *,
    admin: bool = False,
    dm: bool = False,
    channel: int = CHANNEL_ID,
    message: dict[str, Any] | None = None,
    roles: tuple[int, ...] = (),
) -> dict[str, Any]:
    """An INTERACTION_CREATE event of `kind` (2 command, 3 button, 4 autocomplete, 5 modal)."""
    payload: dict[str, Any] = {
        "id": str(snowflake()),
        "application_id": str(APP_ID),
        "type": kind,
        "token": f"itoken-{snowflake()}",
        "version": 1,
        "data": data,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "app_permissions": str(MEMBER_PERMISSIONS),
    }
    if dm:
        payload["channel_id"] = str(channel)
        payload["channel"] = {"id": str(channel), "type": 1, "recipients": [author]}
        payload["user"] = author
        payload["context"] = 1
        payload["authorizing_integration_owners"] = {"0": str(APP_ID)}
    else:
        perms = MEMBER_PERMISSIONS | (MANAGE_GUILD if admin else 0)
        payload["guild_id"] = str(GUILD_ID)
        payload["guild_locale"] = "en-US"
        payload["channel_id"] = str(channel)
        payload["channel"] = {
            "id": str(channel),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
        }
        payload["member"] = {
            **_member(author, [ADMIN_ROLE] * admin + list(roles)),
            "permissions": str(perms),
        }
        payload["context"] = 0
        payload["authorizing_integration_owners"] = {"0": str(GUILD_ID)}
    if message is not None:
        payload["message"] = message
    return payload


def command_data(
    path: tuple[str, ...], options: dict[str, Any], focused: str | None = None
) -> dict[str, Any]:
    """`data` of a slash command (or its autocomplete) for /group sub option:value …"""
    opts = _options(options, focused)
    if len(path) == 2:
        opts = [{"type": 1, "name": path[1], "options": opts}]
    return {"id": str(snowflake()), "name": path[0], "type": 1, "options": opts}
