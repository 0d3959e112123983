"""An adapter that keeps every Reply in a list: for tests, benchmarks and scripts."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core import Core
from bot.errors import BadInput
from bot.messages import Reply, Who


@dataclass
class CollectingAdapter:
    """Talks to the core as one user in one space and records what comes back."""

    core: Core
    who: Who
    stream: bool = True
    replies: list[Reply] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)

    async def _chunk(self, text: str) -> None:
        self.chunks.append(text)

    async def say(self, text: str) -> Reply:
        """Send one line (a command or a chat message) and return the reply."""
        reply = await self.core.handle_text(self.who, text, self._chunk if self.stream else None)
        self.replies.append(reply)
        return reply

    async def answer(self, accept: bool = True) -> Reply:
        """Answer the last confirmation question, as a button press would."""
        pending = next((r.confirm for r in reversed(self.replies) if r.confirm), None)
        if pending is None:
            raise BadInput("nothing to confirm")
        reply = await self.core.confirm(pending.token, self.who, accept)
        self.replies.append(reply)
        return reply
