"""One exception root for everything the bot reports to a user.

Defined in the lowest layer (personas imports nothing of ours), so storage and bot raise the
same classes and the dispatcher turns every one of them into an error reply in one place.
"""

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


class Barred(PermissionDenied):
    """An access list keeps this user out here; `silent`: show them nothing at all."""

    def __init__(self, message: str, silent: bool) -> None:
        super().__init__(message)
        self.silent = silent


class ConfigError(BotError):
    """The configuration is invalid; the message names the key."""
