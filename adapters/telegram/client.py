"""The Telegram adapter: the Application, its handlers, command menu, polling or webhook."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

# Time periods as timedelta (python-telegram-bot's coming default): we read none, but its own
# RetryAfter warns on every flood-control answer until a program opts in.
os.environ.setdefault("PTB_TIMEDELTA", "1")

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from adapters.telegram.arrival import KeepingQueue, kept, recover
from adapters.telegram.handlers import PLATFORM, Handlers
from adapters.telegram.wizard import Wizard
from bot.commands.spec import CommandSpec
from bot.config import TelegramAdapterConfig
from bot.core import Core
from bot.dispatch import OOPS
from bot.errors import ConfigError

log = logging.getLogger(__name__)

COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


DONE_GROUP = 99
Keep = Callable[[tuple[Update, ...]], Awaitable[None]]


def flood_control(config: TelegramAdapterConfig) -> AIORateLimiter:
    """python-telegram-bot's limiter: at most 30 calls a second overall and the configured
    number a minute into each group, and a call refused with 429 sent again after the
    retry_after Telegram names (flood_retries times), so no reply is lost to flood control."""
    # 0 turns the group limit off (the library's own convention).
    return AIORateLimiter(
        group_max_rate=config.group_messages_per_minute, max_retries=config.flood_retries
    )


class KeepingBot(ExtBot[Any]):
    """The bot whose getUpdates stores each batch before returning it: the updater confirms a
    batch (the next call's offset) only after that, so a crash can't lose a fetched update."""

    __slots__ = ("_keep_batch",)

    def __init__(self, token: str, *, keep: Keep, **kwargs: Any) -> None:
        super().__init__(token, **kwargs)
        self._keep_batch = keep

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Fetch, then keep, then hand over."""
        updates = await super().get_updates(*args, **kwargs)
        if updates:
            await self._keep_batch(updates)
        return updates


def menu(specs: list[CommandSpec]) -> list[BotCommand]:
    """The command menu: every declared command and wizard, in its underscore form — except
    bot admins' own (Telegram shows at most 100; they still work typed, and /help lists
    them)."""
    out = []
    for spec in (s for s in specs if s.offered_on("telegram") and s.rights != "bot_admin"):
        if spec.wizard is not None:
            alias = f"{spec.path[0]}_{spec.wizard.alias}"
            out.append(BotCommand(alias, f"{spec.help} — step by step"[:256]))
        name = "_".join(spec.path)
        help_ = spec.help + (" (admins)" if spec.admin else "")
        out.append(BotCommand(name, help_[:256]))
    bad = [c.command for c in out if not COMMAND_NAME.match(c.command)]
    if bad or len(out) > 100:
        raise ConfigError(f"Telegram can't show these commands: {', '.join(bad) or len(out)}")
    return out


class TelegramAdapter:
    """Commands, inline keyboards, the persona wizard and chat on Telegram."""

    name = "telegram"

    def __init__(self, core: Core, token: str, config: TelegramAdapterConfig | None = None):
        self.core = core
        self.config = config or core.settings.adapters.telegram
        self.handlers = Handlers(core, self.config)
        urls: dict[str, str] = {}
        if self.config.base_url:
            urls["base_url"] = self.config.base_url
        if self.config.base_file_url:
            urls["base_file_url"] = self.config.base_file_url
        bot = KeepingBot(
            token,
            request=HTTPXRequest(connection_pool_size=256),  # what ApplicationBuilder uses
            get_updates_request=HTTPXRequest(),
            keep=self._keep,
            rate_limiter=flood_control(self.config),
            **urls,
        )
        builder = ApplicationBuilder().bot(bot).concurrent_updates(True)
        if self.config.webhook_url:
            builder = builder.update_queue(KeepingQueue(self._keep))
        self.app: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self._install()

    async def _keep(self, updates: tuple[Update, ...]) -> None:
        """Store arrived updates before Telegram is told (the next getUpdates, or the
        webhook's answer)."""
        await self.core.inbox.keep(PLATFORM, [kept(u) for u in updates])

    async def deliver(self, user_ref: str, text: str) -> None:
        """Reach a user in their private chat (works once they have started the bot)."""
        await self.app.bot.send_message(int(user_ref), text[:4096])

    def _install(self) -> None:
        h = self.handlers
        # One group: the wizard sees an update first, and only when it is its turn.
        for spec in self.core.command_list():
            if spec.wizard is not None:
                self.app.add_handler(Wizard(h, spec, self.config.wizard_timeout_s).handler())
        self.app.add_handler(CallbackQueryHandler(h.on_callback))
        # New messages only: editing an old /command must not run it again.
        self.app.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & filters.COMMAND, h.on_command)
        )
        edits = filters.UpdateType.EDITED_MESSAGE
        self.app.add_handler(MessageHandler(edits & filters.TEXT & ~filters.COMMAND, h.on_edit))
        self.app.add_handler(
            MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND, h.on_text)
        )
        audio = filters.VOICE | filters.AUDIO | filters.Document.AUDIO
        self.app.add_handler(MessageHandler(audio, h.on_audio))
        files = (filters.Document.ALL & ~filters.Document.AUDIO) | filters.PHOTO
        self.app.add_handler(MessageHandler(files & filters.CaptionRegex(r"^\s*/"), h.on_file))
        # Last, after every other handler of the update: nothing more is owed for it.
        self.app.add_handler(TypeHandler(Update, self._done), group=DONE_GROUP)
        self.app.add_error_handler(self.on_error)

    async def _done(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.update_id in self.handlers.ordered:  # its handler finished it, or another
            self.handlers.ordered.discard(update.update_id)  # worker holds it
            return
        await self.core.inbox.done(PLATFORM, update.update_id)

    async def _recover(self) -> None:
        """Updates a crashed run kept but did not finish: replay those it never began; for
        those it began (their turn may be stored, the answer lost), tell the user."""
        await recover(self.core, self.app, shared=bool(self.config.webhook_url))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one error edge: log with the trace, answer briefly where the update came from."""
        error = context.error
        trace = "".join(traceback.format_exception(error)) if error else ""
        log.error("telegram: handling an update failed\n%s", trace)
        if isinstance(update, Update) and update.effective_chat is not None:
            try:
                await context.bot.send_message(update.effective_chat.id, f"⚠️ {OOPS}")
            except TelegramError:
                log.warning("telegram: could not tell the user about the failure")

    async def start(self) -> None:
        """Log in, publish the command menu, start receiving updates."""
        try:
            await self.app.initialize()
        except InvalidToken:
            raise ConfigError("Telegram refused TELEGRAM_TOKEN (invalid token)") from None
        await self.app.bot.set_my_commands(menu(self.core.command_list()))
        await self._recover()  # queued before start(): handled first, in their order
        await self.app.start()
        updater = self.app.updater
        assert updater is not None
        if self.config.webhook_url:
            await updater.start_webhook(
                listen=self.config.listen,
                port=self.config.port,
                url_path="telegram",
                webhook_url=self.config.webhook_url.rstrip("/") + "/telegram",
                secret_token=os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None,
            )
            log.info("telegram: webhook on %s:%d", self.config.listen, self.config.port)
        else:
            await updater.start_polling(timeout=int(self.config.poll_timeout_s), poll_interval=0)
            log.info("telegram: polling as @%s", self.app.bot.username)

    async def stop(self) -> None:
        """Stop receiving; let running handlers finish."""
        updater = self.app.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def run(self) -> None:
        """Serve until cancelled."""
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()
