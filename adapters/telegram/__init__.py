"""The Telegram adapter: commands, inline keyboards, a creation wizard, chat in DMs and groups."""

from adapters.telegram.client import TelegramAdapter

__all__ = ["TelegramAdapter"]
