"""The Discord adapter: the client, its intents, command sync, and the event error edge."""

from __future__ import annotations

import contextlib
import logging
import traceback
from typing import Any

import discord

from adapters.discord.chat import Chat
from adapters.discord.send import NO_MENTIONS, Sender
from adapters.discord.slash import Slash
from adapters.discord.tree import build_tree, check_limits, payload
from adapters.discord.views import GreetButton, StopButton, VersionButton
from bot.commands.spec import CommandSpec
from bot.config import DiscordAdapterConfig
from bot.core import Core
from bot.dispatch import OOPS
from bot.errors import ConfigError

log = logging.getLogger(__name__)

MISSING_CONTENT = (
    "the Message Content intent is off for this bot: turn on Developer Portal → Bot → "
    "Privileged Gateway Intents → MESSAGE CONTENT INTENT, or set "
    "adapters.discord.message_content: false (then I answer only mentions and DMs)"
)


def intents(config: DiscordAdapterConfig) -> discord.Intents:
    """Only what the bot uses: servers, their messages and DMs; message content if asked."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    wanted.message_content = config.message_content
    # ❌ on a persona's reply deletes it (PluralKit's convention); non-privileged.
    wanted.guild_reactions = True
    wanted.dm_reactions = True
    return wanted


class _Events:
    """The client's events, handed to the adapter (one client, or this worker's shards)."""

    adapter: DiscordAdapter
    user: Any
    guilds: Any

    def __init__(self, adapter: DiscordAdapter, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.adapter = adapter

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.chat.on_message(message)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.adapter.chat.on_reaction(payload)

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        await self.adapter.chat.on_edit(before, after)

    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.adapter.sync_guild(guild)

    async def on_ready(self) -> None:
        log.info("discord: connected as %s to %d servers", self.user, len(self.guilds))

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        await self.adapter.on_event_error(event_method, *args)


class _Client(_Events, discord.Client):
    """discord.Client whose events go to the adapter."""


class _ShardedClient(_Events, discord.AutoShardedClient):
    """discord.py's sharded client: this worker's shards (adapters.discord.shard_ids) of
    adapters.discord.shard_count, one gateway connection each."""


def client_for(adapter: DiscordAdapter, config: DiscordAdapterConfig) -> discord.Client:
    """One client, or — with shard_count set — the shards this worker runs."""
    kwargs: dict[str, Any] = {"intents": intents(config), "allowed_mentions": NO_MENTIONS}
    if not config.shard_count:
        return _Client(adapter, **kwargs)
    ids = list(config.shard_ids) or list(range(config.shard_count))
    return _ShardedClient(adapter, shard_count=config.shard_count, shard_ids=ids, **kwargs)


class DiscordAdapter:
    """Slash commands, forms, buttons and chat on Discord, all through the core."""

    name = "discord"

    def __init__(
        self,
        core: Core,
        token: str,
        config: DiscordAdapterConfig | None = None,
        specs: list[CommandSpec] | None = None,
    ) -> None:
        self.core = core
        self.token = token
        self.config = config or core.settings.adapters.discord
        self.client = client_for(self, self.config)
        self.slash = Slash(core)
        self.sender = Sender(
            self.client, self.config.webhooks, core.avatar, self.config.avatar_webhooks
        )
        self.chat = Chat(
            self.client,
            core,
            self.sender,
            self.slash,
            interval=self.config.edit_interval_s,
            threads=self.config.threads,
            reply_buttons=self.config.reply_buttons,
        )
        # Buttons that work across restarts.
        self.client.add_dynamic_items(VersionButton, StopButton, GreetButton)
        self.tree = build_tree(
            self.client,
            specs or core.command_list(),
            self.slash.run,
            self.slash.complete,
            core.settings.limits.model_dump(),
        )
        self.tree.on_error = self.slash.on_error  # type: ignore[method-assign]
        self._global_published: bool | None = None

    async def deliver(self, user_ref: str, text: str) -> None:
        """Reach a user by DM (farewells of retired personas); raises if DMs are closed."""
        user = await self.client.fetch_user(int(user_ref))
        await user.send(text[:2000], allowed_mentions=NO_MENTIONS)

    def check_intents(self) -> None:
        """Say which privileged intent is missing, before the gateway refuses to connect."""
        flags = self.client.application_flags
        has_content = flags.gateway_message_content or flags.gateway_message_content_limited
        if self.config.message_content and not has_content:
            raise ConfigError(MISSING_CONTENT)

    async def login(self) -> None:
        """Log in over REST (no gateway yet) and check the application's settings."""
        if not self.token:
            raise ConfigError("DISCORD_TOKEN is not set")
        try:
            await self.client.login(self.token)
        except discord.LoginFailure:
            raise ConfigError("Discord refused DISCORD_TOKEN (improper token)") from None
        self.check_intents()
        problems = check_limits(payload(self.tree))
        if problems:
            raise ConfigError("slash commands break Discord's limits: " + "; ".join(problems))

    async def run(self) -> None:
        """Connect and serve until cancelled."""
        async with self.client:
            await self.login()
            try:
                await self.client.connect()
            except discord.PrivilegedIntentsRequired:
                raise ConfigError(MISSING_CONTENT) from None

    async def sync_guild(self, guild: discord.abc.Snowflake) -> int:
        """Register the commands in one server (instant), unless they are published globally."""
        if not self.config.sync_on_join:
            return 0
        if self._global_published is None:
            self._global_published = bool(await self.tree.fetch_commands())
        if self._global_published:
            log.info("discord: commands are published globally; not syncing server %s", guild.id)
            return 0
        self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        log.info("discord: synced %d commands to server %s", len(synced), guild.id)
        return len(synced)

    async def sync_global(self) -> int:
        """Publish the commands everywhere, and drop per-server copies so none show twice."""
        synced = await self.tree.sync()
        log.info(
            "discord: published %d commands globally (may take a while to appear)", len(synced)
        )
        async for guild in self.client.fetch_guilds(limit=None):
            self.tree.clear_commands(guild=guild)
            await self.tree.sync(guild=guild)
            log.info("discord: cleared per-server copies in %s", guild.id)
        self._global_published = True
        return len(synced)

    async def on_event_error(self, event: str, *args: Any) -> None:
        """The one error edge for gateway events: log with the trace, answer briefly."""
        log.error("discord: %s failed\n%s", event, traceback.format_exc())
        message = args[0] if args and isinstance(args[0], discord.Message) else None
        if message is not None:
            with contextlib.suppress(discord.HTTPException):
                await message.reply(f"⚠️ {OOPS}", mention_author=False)
