"""Who is acting where, resolved to database ids, with what rights."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Who


@dataclass(frozen=True)
class Context:
    """A resolved actor: ids for storage plus rights derived from config and platform."""

    who: Who
    user_id: int
    space_id: int
    bot_admin: bool  # listed in admins.<platform>: may manage global presets too

    @property
    def space_admin(self) -> bool:
        """May manage this space's presets and settings."""
        return self.bot_admin or self.who.space_admin

    @property
    def private_space(self) -> bool:
        """A DM or the local console: the user's own place, no admin needed for settings."""
        return self.who.space_kind in ("dm", "console")

    @property
    def user_scope(self) -> str:
        """Name scope of this user's own personas."""
        return f"user:{self.user_id}"

    @property
    def space_scope(self) -> str:
        """Name scope of presets added in this space."""
        return f"space:{self.space_id}"
