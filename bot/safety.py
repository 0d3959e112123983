"""The safety note: a message holding a configured crisis phrase gets a resources message added
to its reply, and its turn is flagged. Off unless config `safety.enabled`."""

from __future__ import annotations

import re

from bot.config import SafetyConfig

FLAG = "safety"


class SafetyNote:
    """Matches the configured phrases as whole words, whatever their case or spacing."""

    def __init__(self, cfg: SafetyConfig) -> None:
        self.cfg = cfg
        words = [r"\s+".join(map(re.escape, p.split())) for p in cfg.phrases if p.strip()]
        self._pattern = re.compile(r"\b(?:" + "|".join(words) + r")\b", re.I) if words else None

    def flags(self, text: str) -> str:
        """The flag a user's message earns ("safety" or "")."""
        if not self.cfg.enabled or self._pattern is None:
            return ""
        return FLAG if self._pattern.search(text) else ""

    def add(self, reply: str, flags: str) -> str:
        """The reply with the resources message under it, for a flagged message."""
        return f"{reply}\n\n{self.cfg.message}" if FLAG in flags.split(",") else reply
