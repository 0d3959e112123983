"""Streaming a reply into one platform message: post the first text, then throttled edits."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


class StreamingMessage:
    """Collects chunks; a pump task posts a preview and edits it no more than once per interval.

    Subclasses say how to post, edit, signal "typing…" and render the text so far.
    """

    typing_every_s = 8.0
    errors: tuple[type[BaseException], ...] = (Exception,)  # failed updates are cosmetic

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self.clock = clock
        self._chunks: list[str] = []
        self._taken = 0  # chunks already handed to the preview
        self.posted = False
        self.shown = ""  # what the posted message says now
        self.edits = 0
        self._last = 0.0
        self._dirty = asyncio.Event()
        self._io = asyncio.Lock()  # stop() waits for an in-flight post/edit, never cuts it
        self._pump: asyncio.Task[None] | None = None
        self._typing: asyncio.Task[None] | None = None  # the one signal as the turn starts
        self._refresh: asyncio.Task[None] | None = None  # repeats while the model works

    async def _post(self, text: str) -> None:
        raise NotImplementedError

    async def _edit(self, text: str) -> None:
        raise NotImplementedError

    async def _signal_typing(self) -> None:
        raise NotImplementedError

    def _preview(self) -> str:
        raise NotImplementedError

    @property
    def text(self) -> str:
        """The whole reply so far."""
        return "".join(self._chunks)

    def _fresh(self) -> str:
        """The text that arrived since the last call: a preview folds in only what is new,
        so an update costs the new text, not the whole reply again."""
        new = "".join(self._chunks[self._taken :])
        self._taken = len(self._chunks)
        return new

    def start_typing(self) -> None:
        """Show "typing…" once, as the turn starts."""
        self._typing = asyncio.create_task(self._keep_typing(first_after=0.0, repeat=False))

    async def working(self, on: bool) -> None:
        """The model started (True) or stopped (False) working on this turn: "typing…" is
        refreshed only while it works and nothing is shown yet (a platform shows one signal
        for a few seconds; a turn waiting in line sends none)."""
        if not on or self.posted:
            self._stop_typing()
            return
        if self._refresh is None or self._refresh.done():
            self._refresh = asyncio.create_task(
                self._keep_typing(first_after=self.typing_every_s, repeat=True)
            )

    async def _keep_typing(self, first_after: float, repeat: bool) -> None:
        with contextlib.suppress(*self.errors):
            await asyncio.sleep(first_after)
            while True:
                await self._signal_typing()
                if not repeat:
                    return
                await asyncio.sleep(self.typing_every_s)

    def _stop_typing(self) -> None:
        # The first signal is one request already on its way; only the refreshing stops.
        if self._refresh is not None:
            self._refresh.cancel()

    async def push(self, chunk: str) -> None:
        """Take a chunk from the model (never waits on the platform)."""
        self._stop_typing()
        self._chunks.append(chunk)
        self._dirty.set()
        if self._pump is None:
            self._pump = asyncio.create_task(self._run())

    async def _wait_turn(self) -> None:
        wait = self._last + self.interval - self.clock()
        if self.posted and wait > 0:
            await asyncio.sleep(wait)

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            await self._wait_turn()
            async with self._io:
                self._dirty.clear()
                preview = self._preview()
                try:
                    if not self.posted:
                        await self._post(preview)
                        self.posted = True
                    elif preview != self.shown:
                        await self._edit(preview)
                        self.edits += 1
                    self.shown = preview
                except self.errors as exc:
                    log.warning("streaming update failed: %s", exc)
                self._last = self.clock()

    async def stop(self) -> None:
        """No more previews: wait for one in flight, then end the pump and the typing signal."""
        self._stop_typing()
        async with self._io:
            if self._pump is not None:
                self._pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._pump

    async def replace(self, text: str) -> None:
        """Make the posted message say `text` (one more edit, keeping the interval)."""
        if text != self.shown:
            await self._wait_turn()
            await self._edit(text)
            self.edits += 1
            self.shown = text
