"""Logging set-up with a filter that keeps secrets out of every log line."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

_SECRET_NAME = re.compile(r"(TOKEN|KEY|SECRET|PASSWORD)", re.IGNORECASE)


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """Values of environment variables whose names say they are secrets."""
    env = os.environ if environ is None else environ
    return sorted(
        {v for k, v in env.items() if _SECRET_NAME.search(k) and len(v) >= 6},
        key=len,
        reverse=True,
    )


class RedactSecrets(logging.Filter):
    """Replaces any secret value in a record's final message with ***."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        text = message
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for secret in self.secrets:
            text = text.replace(secret, "***")
            if record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "***")
        if text != message:
            record.msg, record.args = text, None
        return True


class DropVoiceChannelNotice(logging.Filter):
    """discord.py warns that voice channels need PyNaCl; replies are files, so it never applies."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "voice will NOT be supported" not in record.getMessage()


# Libraries whose DEBUG/INFO lines carry whole requests (prompts, messages, payloads).
LIBRARIES = (
    "LiteLLM",
    "LiteLLM Router",
    "LiteLLM Proxy",
    "litellm",
    "openai",
    "httpx",
    "httpcore",
    "aiohttp",
    "aiosqlite",
    "alembic",
    "sqlalchemy",
    "telegram",
    "discord",
    "elevenlabs",
    "apscheduler",
    "urllib3",
    "asyncio",
)


def setup(level: str, libraries: bool = False) -> None:
    """Log to stderr at `level`; libraries only from WARNING up unless `libraries`."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secret_values()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord.client").addFilter(DropVoiceChannelNotice())
    quiet = logging.getLevelName(level) if libraries else logging.WARNING
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(max(quiet, logging.getLevelName(level)))


def to_file(path: Path) -> None:
    """Send the log to `path` instead of the terminal (an interactive chat stays readable)."""
    root = logging.getLogger()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for old in root.handlers:
        for f in old.filters:
            handler.addFilter(f)
    root.handlers[:] = [handler]
