"""Small owners' index rows kept in memory, so a turn's vector search reads nothing."""

from __future__ import annotations

from collections import OrderedDict

import pyarrow as pa

COLUMNS = ["id", "text", "vector"]


class Read:
    """One read of an owner's rows from LanceDB; stale once the owner changed meanwhile."""

    __slots__ = ("key", "stale")

    def __init__(self, key: int) -> None:
        self.key = key
        self.stale = False


class OwnerRows:
    """Per owner key, the (id, text, vector) rows LanceDB holds for it; least recently used
    owners are dropped past `budget` rows in all. Rows read from LanceDB are kept only if the
    owner did not change while they were being read."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._rows: OrderedDict[int, pa.Table] = OrderedDict()
        self._held = 0
        self._reading: dict[int, list[Read]] = {}
        self._writing: dict[int, int] = {}  # owner key: writes under way

    def get(self, key: int) -> pa.Table | None:
        """The owner's rows, or None when not held."""
        rows = self._rows.get(key)
        if rows is not None:
            self._rows.move_to_end(key)
        return rows

    def begin(self, key: int) -> Read:
        """Note a read of this owner's rows starting now (stale at once if a write is on)."""
        read = Read(key)
        read.stale = key in self._writing
        self._reading.setdefault(key, []).append(read)
        return read

    def end(self, read: Read, rows: pa.Table | None) -> None:
        """End a read; hold its rows unless the owner changed meanwhile."""
        readers = self._reading.get(read.key, [])
        if read in readers:
            readers.remove(read)
            if not readers:
                del self._reading[read.key]
        if rows is not None and not read.stale and rows.num_rows <= self.budget:
            self._hold(read.key, rows.select(COLUMNS))

    def writing(self, key: int) -> None:
        """A write to this owner's rows starts: reads until it ends are not held."""
        self._writing[key] = self._writing.get(key, 0) + 1
        self._stale(key)

    def written(self, key: int, rows: pa.Table | None, limit: int) -> None:
        """The write ends: `rows` were added (appended where held, unless that passes
        `limit`), or None: rows changed otherwise (what is held is dropped)."""
        left = self._writing.get(key, 1) - 1
        if left:
            self._writing[key] = left
        else:
            self._writing.pop(key, None)
        self._stale(key)
        held = self._rows.get(key)
        if held is None:
            return
        self._drop(key)
        if rows is not None and held.num_rows + rows.num_rows <= limit:
            new = rows.select(COLUMNS).cast(held.schema)
            self._hold(key, pa.concat_tables([held, new]))

    def clear(self) -> None:
        """Rows of any owner changed (maintenance, rebuild): forget everything."""
        for readers in self._reading.values():
            for read in readers:
                read.stale = True
        self._rows.clear()
        self._held = 0

    def _stale(self, key: int) -> None:
        for read in self._reading.get(key, []):
            read.stale = True

    def _hold(self, key: int, rows: pa.Table) -> None:
        self._drop(key)
        self._rows[key] = rows
        self._held += rows.num_rows
        while self._held > self.budget:
            self._drop(next(iter(self._rows)))

    def _drop(self, key: int) -> None:
        rows = self._rows.pop(key, None)
        if rows is not None:
            self._held -= rows.num_rows
