"""Where the LanceDB tables live: a local folder (embedded) or an object-store URI that every
worker shares (`s3://`, `gs://`, `az://`), and how a table is opened there safely."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

if TYPE_CHECKING:
    import pyarrow as pa

log = logging.getLogger(__name__)

T = TypeVar("T")
REMOTE = ("s3://", "gs://", "az://", "abfs://", "memory://")


@dataclass(frozen=True)
class LanceLocation:
    """A LanceDB root: `uri`, its storage options (never secrets: those come from the
    environment, where LanceDB reads them) and whether other processes write there too."""

    uri: str
    options: dict[str, str] = field(default_factory=dict)
    shared: bool = False

    @classmethod
    def of(cls, where: LanceLocation | Path | str) -> LanceLocation:
        """A location from a folder, a URI or a location."""
        if isinstance(where, LanceLocation):
            return where
        return cls(str(where), shared=is_remote(str(where)))

    @property
    def remote(self) -> bool:
        """On an object store rather than a local folder."""
        return is_remote(self.uri)

    @property
    def folder(self) -> Path | None:
        """The local folder, or None on an object store."""
        return None if self.remote else Path(self.uri)

    async def connect(self) -> Any:
        """A connection; a shared root checks for other workers' commits on every read."""
        import lancedb

        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
        return await lancedb.connect_async(
            self.uri,
            storage_options=dict(self.options) or None,
            # Another worker may have added a user's memory a moment ago: a turn must see it.
            read_consistency_interval=timedelta(0) if self.shared else None,
        )

    def __str__(self) -> str:
        return self.uri


def is_remote(uri: str) -> bool:
    """Whether `uri` names an object store."""
    return uri.startswith(REMOTE)


async def open_or_create(db: Any, name: str, schema: pa.Schema) -> Any:
    """Table `name`, created when missing. Creation never overwrites: when two workers race,
    the object store's conditional put lets one create and the other opens what it made (a
    create with `exist_ok` may turn into an overwrite that drops the winner's rows)."""
    if name in (await db.list_tables()).tables:
        return await db.open_table(name)
    try:
        return await db.create_table(name, schema=schema, mode="create")
    except (ValueError, RuntimeError, OSError) as exc:
        log.info("table %s was created meanwhile (%s); opening it", name, type(exc).__name__)
        return await db.open_table(name)


def _conflict(exc: BaseException) -> bool:
    # Lance says so when a commit lost a race it may simply run again (a compaction that a
    # delete preempted); other errors are real.
    text = str(exc)
    retryable = "etryable commit conflict" in text or "preempted" in text
    return isinstance(exc, RuntimeError) and retryable


async def committed(op: Callable[[], Awaitable[T]], tries: int = 8) -> T:
    """`op`, run again (with jittered backoff) while another worker's commit preempts it."""
    async for attempt in AsyncRetrying(
        retry=retry_if_exception(_conflict),
        stop=stop_after_attempt(tries),
        wait=wait_random_exponential(multiplier=0.02, max=1),
        reraise=True,
    ):
        with attempt:
            return await op()
    raise AssertionError("unreachable: tenacity reraises")


async def ensure_index(table: Any, column: str, config: Any) -> None:
    """Index `column` unless it is; two workers doing so at once leave one index."""

    async def once() -> None:
        have = {tuple(i.columns) for i in await table.list_indices()}
        if (column,) not in have:
            try:
                await table.create_index(column, config=config)
            except RuntimeError:
                await table.checkout_latest()  # another worker's index may be there now
                raise

    async for attempt in AsyncRetrying(
        stop=stop_after_attempt(5), wait=wait_random_exponential(multiplier=0.05), reraise=True
    ):
        with attempt:
            await once()
