"""The inbox as adapters see it: keep what arrived before confirming it, replay after a crash."""

from __future__ import annotations

from datetime import timedelta

from storage.inbox import InboxRepo, Kept, Unfinished
from storage.models import utcnow

__all__ = ["Inbox", "Kept", "Unfinished"]


class Inbox:
    """Per platform: keep → take → done; `unfinished` is what a restart must replay or explain."""

    def __init__(self, repo: InboxRepo) -> None:
        self.repo = repo

    async def keep(self, platform: str, updates: list[Kept]) -> None:
        """Store updates before the platform is told they arrived."""
        await self.repo.keep(platform, updates)

    async def take(self, platform: str, update_id: int) -> bool:
        """Handling of this update begins here — False when it began elsewhere already (a
        repeated delivery, another worker): then it must not be handled again."""
        return await self.repo.take(platform, update_id)

    async def done(self, platform: str, update_id: int) -> None:
        """This update needs nothing more."""
        await self.repo.done(platform, update_id)

    async def earlier(self, platform: str, sender: str, update_id: int) -> list[Unfinished]:
        """The sender's unfinished updates from before this one. Asked while holding the
        sender's turn: no live worker is on them then, so a taken one was begun by a worker
        that died, and one not taken yet is due before this update."""
        return await self.repo.earlier(platform, sender, update_id)

    async def unfinished(self, platform: str) -> list[Unfinished]:
        """Left over from a run that stopped (crashed) before finishing them; prunes old ones."""
        await self.repo.prune(platform, utcnow() - timedelta(days=1))
        return await self.repo.unfinished(platform)
