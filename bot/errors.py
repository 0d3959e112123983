"""One exception root for everything the bot reports to a user."""

from __future__ import annotations


class BotError(Exception):
    """A failure with a message that is safe and useful to show to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(BotError):
    """The user's input is malformed, too long or otherwise invalid."""


class PersonaNotFound(BotError):
    """No persona by that name is visible to this user here."""


class PermissionDenied(BotError):
    """The user may not do this."""


class Conflict(BotError):
    """The change collides with something that exists (e.g. a name already taken)."""


class LimitExceeded(BotError):
    """A rate or size limit was hit."""


class ConfigError(Exception):
    """The configuration is invalid; the message names the key."""
