"""Pending yes/no confirmations for destructive commands (delete, wipe)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.errors import BadInput, PermissionDenied
from bot.messages import Confirm, Reply, Who

Action = Callable[[], Awaitable[Reply]]


TTL_S = 120.0  # seconds a yes/no question stays open


@dataclass
class _Pending:
    asker: tuple[str, str]
    action: Action
    expires: float


class Confirmations:
    """Tokens bound to the user who asked; they expire after `ttl_s` seconds."""

    def __init__(self, ttl_s: float = TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._pending: dict[str, _Pending] = {}

    def ask(self, who: Who, question: str, action: Action) -> Reply:
        """Park `action` until the same user confirms; the Reply carries the question."""
        now = self._clock()
        self._pending = {k: p for k, p in self._pending.items() if p.expires > now}
        token = secrets.token_urlsafe(9)
        self._pending[token] = _Pending((who.platform, who.user_ref), action, now + self.ttl_s)
        return Reply(text=question, confirm=Confirm(token, question), ephemeral=True)

    async def answer(self, token: str, who: Who, accept: bool) -> Reply:
        """Run or drop the parked action; only its asker may answer."""
        pending = self._pending.get(token)
        if pending is None or pending.expires <= self._clock():
            self._pending.pop(token, None)
            raise BadInput("that confirmation has expired — run the command again")
        if pending.asker != (who.platform, who.user_ref):
            raise PermissionDenied("only the person who ran the command can confirm it")
        del self._pending[token]
        if not accept:
            return Reply(text="Cancelled — nothing was changed.", ephemeral=True)
        return await pending.action()
