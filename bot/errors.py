"""The error root for the bot layer: the domain's classes (personas/errors.py), one import path."""

from personas.errors import (
    BadInput,
    Barred,
    BotError,
    ConfigError,
    Conflict,
    LimitExceeded,
    PermissionDenied,
    PersonaNotFound,
)

__all__ = [
    "BadInput",
    "Barred",
    "BotError",
    "ConfigError",
    "Conflict",
    "LimitExceeded",
    "PermissionDenied",
    "PersonaNotFound",
]
