"""A streaming reply: one message edited as text arrives, at most once per interval."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import discord

from adapters.discord.send import LIMIT, Posted, Sender, files_of
from bot.messages import Look, Reply

log = logging.getLogger(__name__)

TYPING_EVERY_S = 8.0  # Discord shows "typing…" for about 10 s per request


class Stream:
    """Collects chunks; a pump task posts the first and edits it no more than once per interval."""

    def __init__(
        self,
        sender: Sender,
        channel: Any,
        look: Look,
        *,
        interval: float,
        reference: discord.Message | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sender = sender
        self.channel = channel
        self.look = look
        self.interval = interval
        self.reference = reference
        self.clock = clock
        self.text = ""
        self.posted: Posted | None = None
        self.shown = ""  # what the posted message says now
        self.edits = 0
        self._last = 0.0
        self._dirty = asyncio.Event()
        self._io = asyncio.Lock()  # finish() waits for an in-flight post/edit, never cuts it
        self._pump: asyncio.Task[None] | None = None
        self._typing: asyncio.Task[None] | None = None

    def start_typing(self) -> None:
        """Show "typing…" until the first chunk arrives."""
        self._typing = asyncio.create_task(self._keep_typing())

    async def _keep_typing(self) -> None:
        with contextlib.suppress(discord.HTTPException):
            while True:
                await self.channel.typing()
                await asyncio.sleep(TYPING_EVERY_S)

    def _stop_typing(self) -> None:
        if self._typing is not None:
            self._typing.cancel()

    async def push(self, chunk: str) -> None:
        """Take a chunk from the model (never waits on Discord)."""
        self._stop_typing()
        self.text += chunk
        self._dirty.set()
        if self._pump is None:
            self._pump = asyncio.create_task(self._run())

    def _preview(self) -> str:
        text = self.text.strip() or "…"
        room = LIMIT - len(self.look.display_name) - 10  # room for a fallback name header
        return text if len(text) <= room else text[: room - 2].rstrip() + " …"

    async def _run(self) -> None:
        while True:
            await self._dirty.wait()
            wait = self._last + self.interval - self.clock()
            if self.posted is not None and wait > 0:
                await asyncio.sleep(wait)
            async with self._io:
                self._dirty.clear()
                try:
                    preview = self._preview()
                    if self.posted is None:
                        self.posted = await self.sender.post(
                            self.channel, self.look, preview, reference=self.reference
                        )
                    elif preview != self.shown:
                        await self.sender.edit(self.posted, preview)
                        self.edits += 1
                    self.shown = preview
                except discord.HTTPException as exc:  # progress is cosmetic; the final counts
                    log.warning("streaming update failed: %s", exc.status)
                self._last = self.clock()

    async def finish(self, reply: Reply) -> list[Posted]:
        """Stop streaming and deliver the whole reply (split at Discord's limit)."""
        self._stop_typing()
        async with self._io:
            if self._pump is not None:
                self._pump.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._pump
        if reply.error:
            msg = await self.channel.send(
                f"⚠️ {reply.text}"[:LIMIT], reference=self.reference, mention_author=False
            )
            return [Posted(msg, None, "")]
        look = reply.persona or self.look
        pieces = self.sender.pieces(look, reply.text, self.channel)
        files = files_of(reply.attachments)
        out: list[Posted] = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            if i == 0 and self.posted is not None:
                if piece != self.shown:
                    wait = self._last + self.interval - self.clock()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    await self.sender.edit(self.posted, piece)
                    self.edits += 1
                out.append(self.posted)
                if last and files:
                    out.append(await self.sender.post(self.channel, look, "", files=files))
                continue
            out.append(
                await self.sender.post(
                    self.channel,
                    look,
                    piece,
                    reference=self.reference if i == 0 else None,
                    files=files if last else (),
                )
            )
        return out
