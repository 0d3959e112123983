"""An in-process cache of the settings a chat turn reads, dropped whole by any write to them.

Personas, the active choice, space settings, voice and memory-scope preferences are read on
every turn and written by commands only. The repositories that write them clear this cache
(all of it: a deleted persona's id can be reused by SQLite, so nothing keyed by it may
survive). It assumes one bot process per database, as SQLite deployments are; several
processes need the scale-out issue's invalidation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class ReadCache:
    """Values by key, loaded once; a load that raced a write is not kept."""

    def __init__(self, size: int = 20_000) -> None:
        self._items: dict[Hashable, Any] = {}
        self._size = size
        self._generation = 0

    async def get(self, key: Hashable, load: Callable[[], Awaitable[T]]) -> T:
        """The cached value, or `load()`'s (kept unless a write came in meanwhile)."""
        if key in self._items:
            return self._items[key]
        generation = self._generation
        value = await load()
        if generation == self._generation:
            if len(self._items) >= self._size:
                self._items.pop(next(iter(self._items)))  # the oldest entry
            self._items[key] = value
        return value

    def clear(self) -> None:
        """Forget everything (called by every write to the cached tables)."""
        self._items.clear()
        self._generation += 1
