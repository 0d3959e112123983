"""How an update arrives: kept before Telegram hears it arrived, then handled in its sender's
order — also when several webhook workers share the updates and one of them dies."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes

from bot.core import Core
from bot.inbox import Kept, Unfinished

if TYPE_CHECKING:
    from adapters.telegram.handlers import Handlers

log = logging.getLogger(__name__)

PLATFORM = "telegram"
Handler = Callable[["Handlers", Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]
Keep = Callable[[tuple[Update, ...]], Awaitable[None]]
# The sender whose turn this task holds: an earlier update of theirs, handled inside that turn,
# must not wait for it again.
_HOLDING: ContextVar[str | None] = ContextVar("telegram_holding", default=None)


def kept(update: Update) -> Kept:
    """An update as the inbox keeps it."""
    user = update.effective_user
    return Kept(update.update_id, update.to_json(), str(user.id) if user else None)


class KeepingQueue(asyncio.Queue[object]):
    """A webhook worker's update queue: an update is stored before it is queued, so before
    the webhook's HTTP answer tells Telegram it arrived (python-telegram-bot answers once the
    update is queued; a worker killed after answering would otherwise lose it)."""

    def __init__(self, keep: Keep) -> None:
        super().__init__()
        self._keep = keep

    async def put(self, item: object) -> None:
        if isinstance(item, Update):
            await self._keep((item,))
        await super().put(item)


App = Application[Any, Any, Any, Any, Any, Any]


async def settle(core: Core, app: App, left: Unfinished) -> None:
    """An update kept and not finished, while its sender's turn is held (or no other worker
    runs): one begun by a worker that died is explained to its sender; one nobody began is
    handled now, before anything newer of theirs."""
    update = Update.de_json(json.loads(left.payload), app.bot)
    log.info("telegram: settling update %d (begun elsewhere: %s)", left.update_id, left.taken)
    if not left.taken:
        # Its own delivery (queued at another worker, waiting for this turn) will find it
        # taken and drop it.
        await app.process_update(update)
        return
    message, chat = update.effective_message, update.effective_chat
    if chat is not None and message is not None:
        said = (message.text or message.caption or "your voice message")[:80]
        try:
            await app.bot.send_message(
                chat.id, f"⚠️ I was restarted while answering “{said}”. Please send it again."
            )
        except TelegramError as exc:
            # Left unfinished: the sender's next turn, or the next start, tells them then.
            log.warning("telegram: could not tell about update %d: %s", left.update_id, exc)
            return
    await core.inbox.done(PLATFORM, left.update_id)
    log.info("telegram: update %d: its sender was told to send it again", left.update_id)


async def recover(core: Core, app: App, shared: bool) -> None:
    """At start: updates kept and not finished. Those nobody began are queued (each settles
    its sender's earlier ones first); one that was begun is settled in its sender's turn when
    other workers may still be on it (it may be finished by the time the turn is free)."""
    begun: dict[str, list[Unfinished]] = {}
    for left in await core.inbox.unfinished(PLATFORM):
        if not left.taken:
            await app.update_queue.put(Update.de_json(json.loads(left.payload), app.bot))
        elif not shared or left.sender is None:
            await settle(core, app, left)
        else:
            begun.setdefault(left.sender, []).append(left)

    async def in_turn(sender: str, lefts: list[Unfinished]) -> None:
        async with core.in_order(PLATFORM, sender):
            last = lefts[-1].update_id
            still = {u.update_id for u in await core.inbox.earlier(PLATFORM, sender, last + 1)}
            for left in lefts:
                if left.update_id in still:
                    await settle(core, app, left)

    # Senders apart: one busy user's turn on a live worker holds back no one else's.
    await asyncio.gather(*(in_turn(sender, lefts) for sender, lefts in begun.items()))


async def _take_and_handle(
    self: Handlers, update: Update, context: ContextTypes.DEFAULT_TYPE, handler: Handler
) -> None:
    # A restart won't replay it; a second delivery (or another worker's) is not handled.
    if not await self.core.inbox.take(PLATFORM, update.update_id):
        log.debug("telegram: update %d was taken elsewhere", update.update_id)
        return
    try:
        await handler(self, update, context)
    except Exception:
        await self.core.inbox.done(PLATFORM, update.update_id)  # the error handler tells them
        raise
    # Finished before the turn is let go: the next holder, on any worker, must not take it
    # for one a dead worker left. (Cancelled at shutdown, it stays begun: the sender is told.)
    await self.core.inbox.done(PLATFORM, update.update_id)


def in_arrival_order(handler: Handler) -> Handler:
    """Take the sender's place in line before anything else is awaited and keep it until the
    answer is delivered: a user's messages are handled, and answered, in the order they came.
    With webhook workers the sender's earlier updates that another worker kept but did not
    finish are settled first."""

    async def ordered(self: Handlers, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        sender = str(user.id) if user is not None else None
        if sender is None:
            await handler(self, update, context)
            return
        # Its inbox row is this wrapper's alone: taken and finished here, or left to whoever
        # took it (a worker that loses the claim must not mark it done: if the taker dies,
        # the next one to hold the turn tells the sender).
        self.ordered.add(update.update_id)
        if _HOLDING.get() == sender:  # an earlier update, settled inside the sender's turn
            await _take_and_handle(self, update, context, handler)
            return
        async with self.core.in_order(PLATFORM, sender):
            token = _HOLDING.set(sender)
            try:
                if self.config.webhook_url:
                    for left in await self.core.inbox.earlier(PLATFORM, sender, update.update_id):
                        await settle(self.core, context.application, left)
                await _take_and_handle(self, update, context, handler)
            finally:
                _HOLDING.reset(token)

    return ordered
