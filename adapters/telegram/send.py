"""Delivering replies on Telegram: HTML text split at 4,096, voice notes, streamed edits."""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, ReplyParameters
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, TelegramError

from adapters.streaming import StreamingMessage
from adapters.telegram.format import Preview, pieces
from bot.messages import Attachment, Look, Reply

log = logging.getLogger(__name__)


class Place:
    """Where a reply goes: a chat, maybe a forum topic, maybe as a reply to a message."""

    def __init__(self, bot: Bot, chat_id: int, thread_id: int | None, reply_to: int | None):
        self.bot = bot
        self.chat_id = chat_id
        self.thread_id = thread_id
        self.reply_to = reply_to

    def _where(self, reply: bool) -> dict[str, Any]:
        out: dict[str, Any] = {"chat_id": self.chat_id}
        if self.thread_id is not None:
            out["message_thread_id"] = self.thread_id
        if reply and self.reply_to is not None:
            out["reply_parameters"] = ReplyParameters(
                self.reply_to, allow_sending_without_reply=True
            )
        return out

    async def send(
        self, html: str, *, reply: bool = False, markup: InlineKeyboardMarkup | None = None
    ) -> Message:
        """One HTML message."""
        return await self.bot.send_message(
            text=html,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=None,
            **self._where(reply),
        )

    async def edit(
        self, message_id: int, html: str, markup: InlineKeyboardMarkup | None = None
    ) -> None:
        """Replace a message's text (an unchanged text is not an error)."""
        try:
            await self.bot.edit_message_text(
                html,
                chat_id=self.chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            if "not modified" not in str(exc).lower():
                raise

    async def attach(self, att: Attachment) -> None:
        """Audio as a voice note (OGG/Opus), a picture to show as a photo, anything else (a
        card PNG too: sendPhoto would re-encode it and drop the card) as a document."""
        data = io.BytesIO(att.data)
        if att.content_type in ("audio/ogg", "audio/opus") or att.filename.endswith(".ogg"):
            await self.bot.send_voice(voice=data, filename=att.filename, **self._where(False))
            return
        if att.inline:
            try:
                await self.bot.send_photo(photo=data, filename=att.filename, **self._where(False))
                return
            except BadRequest as exc:  # e.g. sides Telegram won't show as a photo
                log.info("sending the picture as a file instead: %s", exc.message)
                data.seek(0)
        await self.bot.send_document(document=data, filename=att.filename, **self._where(False))

    async def deliver(
        self, reply: Reply, markup: InlineKeyboardMarkup | None = None
    ) -> list[Message]:
        """A whole reply: its text pieces (buttons on the last), then its files."""
        parts = pieces(reply)
        sent = []
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            sent.append(await self.send(part, reply=i == 0, markup=markup if last else None))
        for att in reply.attachments:
            if att.data:
                await self.attach(att)
        return sent


class TgStream(StreamingMessage):
    """A persona reply streamed into one Telegram message."""

    typing_every_s = 4.5  # Telegram shows the chat action for 5 s
    errors = (TelegramError,)

    def __init__(
        self,
        place: Place,
        look: Look,
        *,
        interval: float,
        clock: Callable[[], float] = time.monotonic,
        stop: InlineKeyboardMarkup | None = None,
    ) -> None:
        super().__init__(interval, clock)
        self.place = place
        self.look = look
        self.message_id: int | None = None
        self.stop_markup = stop  # ⏹ while the reply is written (every edit keeps it)
        self._view = Preview(look)

    async def _post(self, text: str) -> None:
        sent = await self.place.send(text, reply=True, markup=self.stop_markup)
        self.message_id = sent.message_id

    async def _edit(self, text: str) -> None:
        assert self.message_id is not None
        await self.place.edit(self.message_id, text, self.stop_markup)

    async def _signal_typing(self) -> None:
        await self.place.bot.send_chat_action(
            self.place.chat_id, ChatAction.TYPING, message_thread_id=self.place.thread_id
        )

    def _preview(self) -> str:
        self._view.add(self._fresh())
        return self._view.render()

    async def finish(self, reply: Reply, markup: InlineKeyboardMarkup | None = None) -> None:
        """Stop streaming; the streamed message becomes the reply's first piece. `markup`
        (the reply's buttons) goes under its last piece."""
        await self.stop()
        if reply.error or self.message_id is None:
            sent = await self.place.deliver(reply, None if reply.error else markup)
            if sent and not reply.error:
                self.message_id = sent[0].message_id  # what a reply to it will name
            return
        parts = pieces(reply)
        last = markup if len(parts) == 1 else None
        if last is not None or self.stop_markup is not None:
            # One edit: the final text with its buttons — and ⏹ gone, even when the text
            # is already what it shows.
            await self._wait_turn()
            await self.place.edit(self.message_id, parts[0], last)
            self.shown = parts[0]
        else:
            await self.replace(parts[0])
        for i, part in enumerate(parts[1:], start=2):
            await self.place.send(part, markup=markup if i == len(parts) else None)
        for att in reply.attachments:
            if att.data:
                await self.place.attach(att)
