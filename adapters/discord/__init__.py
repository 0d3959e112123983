"""The Discord adapter: slash commands, modals, buttons, persona webhooks, chat in servers/DMs."""

from adapters.discord.client import DiscordAdapter

__all__ = ["DiscordAdapter"]
