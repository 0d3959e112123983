"""One asyncio lock per key, dropped when nobody holds or waits for it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar

# Keys the current task (and the tasks it starts) already holds: holding again is a no-op, so an
# adapter can take a user's turn at arrival and the core's own hold inside does not deadlock.
_HELD: ContextVar[frozenset[Hashable]] = ContextVar("held_keys", default=frozenset())


class KeyedLocks:
    """Serialises work per key (one user) while other keys run concurrently.

    asyncio locks are FIFO: whoever asks first goes first. Asking is the first await of
    `hold`, so a caller that enters `hold` before awaiting anything else keeps its place in
    the order things arrived.
    """

    def __init__(
        self, across: Callable[[str], AbstractAsyncContextManager[None]] | None = None
    ) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}
        # Taken after this process's lock: the same key's lock in every process sharing the
        # database (PostgreSQL's advisory locks), so two workers take one user's turns in turn.
        self._across = across

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Hold the lock for `key` for the duration of the block (re-entrant per task)."""
        held = _HELD.get()
        if key in held:
            yield
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock, self._across_lock(key):
                token = _HELD.set(held | {key})
                try:
                    yield
                finally:
                    _HELD.reset(token)
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def _across_lock(self, key: Hashable) -> AbstractAsyncContextManager[None]:
        return self._across(repr(key)) if self._across is not None else nullcontext()

    def __len__(self) -> int:
        return len(self._locks)
