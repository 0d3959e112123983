"""`python -m bot discord-sync`: publish the slash commands, or print them (--dry-run)."""

from __future__ import annotations

import json
import logging
from typing import Any

import discord

from adapters.discord.client import DiscordAdapter
from adapters.discord.tree import build_tree, check_limits, payload
from bot.commands.spec import CommandSpec, all_commands
from bot.config import AdaptersConfig, DiscordAdapterConfig, Settings
from bot.errors import ConfigError

log = logging.getLogger(__name__)


async def _unused(interaction: Any, spec: Any, args: Any) -> None:
    raise RuntimeError("commands are not served by discord-sync")


async def _no_choices(interaction: Any, current: str) -> list[Any]:
    return []


def dry_run(
    specs: list[CommandSpec] | None = None, limits: dict[str, int] | None = None
) -> tuple[str, list[str]]:
    """The exact JSON a global sync sends, and every way it breaks Discord's limits."""
    client = discord.Client(intents=discord.Intents.default())
    limits = limits if limits is not None else Settings().limits.model_dump()
    try:
        tree = build_tree(client, specs or all_commands(), _unused, _no_choices, limits)
    except ValueError as exc:
        return "", [str(exc)]
    commands = payload(tree)
    return json.dumps(commands, indent=2, ensure_ascii=False), check_limits(commands)


class _NoCore:
    """Sync needs the command declarations only; no database, no model."""

    def __init__(self, config: DiscordAdapterConfig) -> None:
        self.settings = Settings(adapters=AdaptersConfig(discord=config))

    def command_list(self) -> list[CommandSpec]:
        return all_commands()

    async def avatar(self, picture_id: str, side: int = 256) -> bytes | None:
        return None  # nothing is posted while syncing


async def publish(token: str, config: DiscordAdapterConfig, guild: int | None) -> int:
    """Log in over REST and sync globally (or to one server); returns the command count."""
    adapter = DiscordAdapter(_NoCore(config), token, config)  # type: ignore[arg-type]
    async with adapter.client:
        try:
            await adapter.login()
        except ConfigError as err:
            if "intent" not in str(err):  # syncing does not need the gateway intents
                raise
        if guild is None:
            return await adapter.sync_global()
        target = discord.Object(id=guild)
        adapter.tree.copy_global_to(guild=target)
        synced = await adapter.tree.sync(guild=target)
        log.info("discord: synced %d commands to server %s", len(synced), guild)
        return len(synced)
