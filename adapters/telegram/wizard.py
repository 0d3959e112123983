"""/persona new: a step-by-step persona creation (name → template → prompt → traits → voice)."""

from __future__ import annotations

import html
import logging
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from adapters.telegram.handlers import Handlers
from bot.errors import BotError
from bot.messages import CommandCall, Reply

log = logging.getLogger(__name__)

NAME, TEMPLATE, PROMPT, TRAITS, VOICE, CONFIRM = range(6)
ENTRY = r"^/persona(?:@\w+)?\s+new\s*$|^/persona_new(?:@\w+)?\s*$"
VOICE_QUESTION = "A voice id for spoken replies — or /skip."


def _draft(context: ContextTypes.DEFAULT_TYPE) -> dict[str, str]:
    assert context.user_data is not None
    return context.user_data.setdefault("draft", {})


class Wizard:
    """The conversation; each answer is checked at once by the core's own rules."""

    def __init__(self, handlers: Handlers, timeout_s: float) -> None:
        self.h = handlers
        self.core = handlers.core
        self.timeout_s = timeout_s

    def handler(self) -> ConversationHandler[Any]:
        """The ConversationHandler to register before the general handlers."""
        text = filters.TEXT & ~filters.COMMAND
        with warnings.catch_warnings():
            # PTB notes that per_message=False keys button presses by chat and user, not by
            # message: what we want, one wizard per user per chat.
            warnings.filterwarnings("ignore", message="If 'per_message=False'")
            return self._conversation(text)

    def _conversation(self, text: Any) -> ConversationHandler[Any]:
        return ConversationHandler(
            entry_points=[MessageHandler(filters.Regex(ENTRY), self.start)],
            states={
                NAME: [MessageHandler(text, self.named)],
                TEMPLATE: [CallbackQueryHandler(self.templated, pattern=r"^wz:t:\d{1,3}$")],
                PROMPT: [MessageHandler(text, self.prompted)],
                TRAITS: [
                    MessageHandler(text, self.traited),
                    CommandHandler("skip", self.no_traits),
                ],
                VOICE: [MessageHandler(text, self.voiced), CommandHandler("skip", self.no_voice)],
                CONFIRM: [CallbackQueryHandler(self.confirmed, pattern=r"^wz:(ok|no)$")],
                ConversationHandler.TIMEOUT: [TypeHandler(Update, self.timed_out)],
            },
            fallbacks=[CommandHandler("cancel", self.cancel)],
            conversation_timeout=self.timeout_s,
            allow_reentry=True,
            name="persona-wizard",
        )

    async def _say(self, update: Update, context: Any, text: str, markup: Any = None) -> None:
        await self.h.place(update, context.bot).send(text, markup=markup)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 1: the name."""
        _draft(context).clear()
        await self._say(
            update, context, "Let's create a persona. What's its name? (/cancel to stop)"
        )
        return NAME

    async def named(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 2: pick a template (buttons)."""
        assert update.effective_message is not None
        name = (update.effective_message.text or "").strip()
        try:
            self.core.check_option("name", name)
        except BotError as err:
            await self._say(update, context, f"⚠️ {html.escape(err.message)}. Try another name.")
            return NAME
        _draft(context)["name"] = name
        rows = [
            [InlineKeyboardButton(f"{tname} — {desc}"[:60], callback_data=f"wz:t:{i}")]
            for i, (tname, desc) in enumerate(self.core.template_choices())
        ]
        rows.append([InlineKeyboardButton("No template", callback_data="wz:t:999")])
        await self._say(update, context, "Start from a template?", InlineKeyboardMarkup(rows))
        return TEMPLATE

    async def templated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 3: the system prompt."""
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer()
        index = int(query.data.rsplit(":", 1)[1])
        templates = self.core.template_choices()
        chosen = templates[index][0] if index < len(templates) else ""
        if chosen:
            _draft(context)["template"] = chosen
        await query.edit_message_text(f"Template: {html.escape(chosen or 'none')}")
        await self._say(update, context, "Who is it and how does it behave? Write its prompt.")
        return PROMPT

    async def prompted(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 4: traits."""
        return await self._field(
            update,
            context,
            "prompt",
            PROMPT,
            'Personality traits 0-100, e.g. "openness:80 humor:60" — or /skip.',
            TRAITS,
        )

    async def traited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 5: voice."""
        return await self._field(update, context, "traits", TRAITS, VOICE_QUESTION, VOICE)

    async def voiced(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Step 6: confirm."""
        if not await self._keep(update, context, "voice"):
            return VOICE
        return await self._summary(update, context)

    async def no_traits(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/skip the traits."""
        await self._say(update, context, VOICE_QUESTION)
        return VOICE

    async def no_voice(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/skip the voice."""
        return await self._summary(update, context)

    async def _keep(self, update: Update, context: Any, option: str) -> bool:
        assert update.effective_message is not None
        value = (update.effective_message.text or "").strip()
        try:
            self.core.check_option(option, value)
        except BotError as err:
            await self._say(update, context, f"⚠️ {html.escape(err.message)}. Try again.")
            return False
        _draft(context)[option] = value
        return True

    async def _field(
        self, update: Update, context: Any, option: str, again: int, ask: str, then: int
    ) -> int:
        if not await self._keep(update, context, option):
            return again
        await self._say(update, context, ask)
        return then

    async def _summary(self, update: Update, context: Any) -> int:
        draft = _draft(context)
        lines = ["<b>Create this persona?</b>"]
        lines += [f"{k}: {html.escape(v[:300])}" for k, v in draft.items()]
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Create", callback_data="wz:ok"),
                    InlineKeyboardButton("Cancel", callback_data="wz:no"),
                ]
            ]
        )
        await self._say(update, context, "\n".join(lines), markup)
        return CONFIRM

    async def confirmed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Create (or not) and end."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        draft = dict(_draft(context))
        _draft(context).clear()
        if query.data == "wz:no":
            await query.edit_message_text("Cancelled — nothing was created.")
            return ConversationHandler.END
        who = await self.h.who(update, context.bot)
        name = draft.pop("name")
        try:
            reply = await self.core.command(
                CommandCall(who, ("persona", "create"), {"name": name, **draft})
            )
        except BotError as err:
            reply = Reply(err.message, error=True)
        text = f"⚠️ {reply.text}" if reply.error else reply.text
        await query.edit_message_text(html.escape(text))
        return ConversationHandler.END

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/cancel at any step."""
        _draft(context).clear()
        await self._say(update, context, "Cancelled — nothing was created.")
        return ConversationHandler.END

    async def timed_out(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Nobody answered for a while."""
        _draft(context).clear()
        if update.effective_chat is not None:
            await context.bot.send_message(
                update.effective_chat.id,
                "The persona wizard timed out — nothing was created. /persona_new starts again.",
            )
