"""Erasing rows from a LanceDB table for good: a delete only marks rows (their text stays in
the data files, and older versions keep them too), so the rows left are written as the table's
new version and every older version's files are removed."""

from __future__ import annotations

import warnings
from datetime import timedelta
from typing import Any

from storage.lance_location import LanceLocation


async def purge(where_: LanceLocation, name: str, table: Any, where: str) -> Any | None:
    """Rewrite table `name` at `where_` without the rows matching `where`; returns the new
    table, or None when no row matched (nothing is rewritten). The caller re-creates indices
    and holds its writer lock: a reader still on an older version fails once (a recall is
    answered without memory then), as an erasure is rare."""
    if not await table.count_rows(where):
        return None
    kept = await table.query().where(f"NOT ({where})").to_arrow()
    kept = kept.cast(await table.schema())
    db = await where_.connect()
    fresh = await db.create_table(name, kept, mode="overwrite")
    with warnings.catch_warnings():  # no other version may keep the erased rows
        warnings.simplefilter("ignore", UserWarning)
        await fresh.optimize(cleanup_older_than=timedelta(0))
    return fresh
