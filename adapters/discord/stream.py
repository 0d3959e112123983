"""A streaming Discord reply: one message (webhook or bot) edited as the model writes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import discord

from adapters.discord.send import LIMIT, Posted, Sender, files_of
from adapters.streaming import StreamingMessage
from bot.messages import Look, Reply


class Stream(StreamingMessage):
    """Streams into the channel as the persona; finish() delivers the whole reply."""

    typing_every_s = 8.0  # Discord shows "typing…" for about 10 s per request
    errors = (discord.HTTPException,)

    def __init__(
        self,
        sender: Sender,
        channel: Any,
        look: Look,
        *,
        interval: float,
        reference: discord.Message | None = None,
        clock: Callable[[], float] = time.monotonic,
        stop: discord.ui.View | None = None,
    ) -> None:
        super().__init__(interval, clock)
        self.stop_view = stop  # ⏹ while the reply is written (edits leave it in place)
        self.sender = sender
        self.channel = channel
        self.look = look
        self.reference = reference
        self.message: Posted | None = None
        self._room = LIMIT - len(look.display_name) - 10  # room for a fallback name header
        self._seen: list[str] = []
        self._cut: str | None = None  # the preview once the reply outgrew one message

    async def _post(self, text: str) -> None:
        self.message = await self.sender.post(
            self.channel, self.look, text, reference=self.reference, controls=self.stop_view
        )

    async def _edit(self, text: str) -> None:
        assert self.message is not None
        await self.sender.edit(self.message, text)

    async def _signal_typing(self) -> None:
        await self.channel.typing()

    def _preview(self) -> str:
        if self._cut is not None:  # past one message the preview no longer changes
            return self._cut
        self._seen.append(self._fresh())
        text = "".join(self._seen).strip() or "…"
        if len(text) <= self._room:
            return text
        self._cut = text[: self._room - 2].rstrip() + " …"
        self._seen = []
        return self._cut

    async def finish(self, reply: Reply, view: discord.ui.View | None = None) -> list[Posted]:
        """Stop streaming and deliver the whole reply (split at Discord's limit); `view` (the
        reply's buttons) goes under its last message."""
        await self.stop()
        if reply.error:
            msg = await self.channel.send(
                f"⚠️ {reply.text}"[:LIMIT], reference=self.reference, mention_author=False
            )
            return [Posted(msg, None, "")]
        if view is None and self.stop_view is not None:
            view = discord.ui.View()  # no buttons: ⏹ must go when the reply is done
        look = reply.persona or self.look
        pieces = self.sender.pieces(look, reply.text, self.channel)
        files = files_of(reply.attachments)
        out: list[Posted] = []
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            if i == 0 and self.message is not None:
                if last and view is not None:  # one edit: the final text with its buttons
                    await self._wait_turn()
                    await self.sender.edit(self.message, piece, view)
                    self.shown = piece
                elif self.stop_view is not None:  # ⏹ goes, even if the text stays
                    await self._wait_turn()
                    await self.sender.edit(self.message, piece, discord.ui.View())
                    self.shown = piece
                else:
                    await self.replace(piece)
                out.append(self.message)
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
        single = len(pieces) == 1 and self.message is not None
        if view is not None and view.children and out and not single:
            await self.sender.edit(out[-1], pieces[-1], view)
        return out
