"""Declared wizards (e.g. /persona new) as Telegram conversations: one step per parameter,
checked at once by the core's own rules, then a summary to confirm."""

from __future__ import annotations

import html
import logging
import re
import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from adapters.telegram.handlers import Handlers
from bot.commands.spec import CommandSpec, Step
from bot.messages import CommandCall

log = logging.getLogger(__name__)

NO_PICK = 999  # "no template" and the like
State = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, int]]


def entry(spec: CommandSpec) -> str:
    """`/persona new` and `/persona_new` (with @BotName in groups)."""
    assert spec.wizard is not None
    group, alias = re.escape(spec.path[0]), re.escape(spec.wizard.alias)
    return rf"^/{group}(?:@\w+)?\s+{alias}\s*$|^/{group}_{alias}(?:@\w+)?\s*$"


class Wizard:
    """One declared wizard; the draft lives in PTB's per-user data until it is confirmed."""

    def __init__(self, handlers: Handlers, spec: CommandSpec, timeout_s: float) -> None:
        assert spec.wizard is not None
        self.h = handlers
        self.core = handlers.core
        self.spec = spec
        self.steps = spec.wizard.steps
        self.key = f"draft:{'_'.join(spec.path)}"
        self.timeout_s = timeout_s
        self.confirm_state = len(self.steps)

    def handler(self) -> ConversationHandler[Any]:
        """The ConversationHandler to register before the general handlers."""
        with warnings.catch_warnings():
            # PTB notes that per_message=False keys button presses by chat and user, not by
            # message: what we want, one wizard per user per chat.
            warnings.filterwarnings("ignore", message="If 'per_message=False'")
            return self._conversation()

    def _conversation(self) -> ConversationHandler[Any]:
        text = filters.TEXT & ~filters.COMMAND
        states: dict[object, list[BaseHandler[Any, Any, Any]]] = {}
        for i, step in enumerate(self.steps):
            if step.pick:
                states[i] = [CallbackQueryHandler(self._picked(i), pattern=rf"^wz:{i}:\d{{1,3}}$")]
                continue
            states[i] = [MessageHandler(text, self._typed(i))]
            if step.optional:
                states[i].append(CommandHandler("skip", self._skipped(i)))
        states[self.confirm_state] = [
            CallbackQueryHandler(self.confirmed, pattern=r"^wz:(ok|no)$")
        ]
        states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, self.timed_out)]
        return ConversationHandler(
            entry_points=[MessageHandler(filters.Regex(entry(self.spec)), self.start)],
            states=states,
            fallbacks=[CommandHandler("cancel", self.cancel)],
            conversation_timeout=self.timeout_s,
            allow_reentry=True,
            name=f"wizard-{'-'.join(self.spec.path)}",
        )

    def _draft(self, context: ContextTypes.DEFAULT_TYPE) -> dict[str, str]:
        assert context.user_data is not None
        draft: dict[str, str] = context.user_data.setdefault(self.key, {})
        return draft

    async def _say(self, update: Update, context: Any, text: str, markup: Any = None) -> None:
        await self.h.place(update, context.bot).send(text, markup=markup)

    def _choices(self, step: Step) -> list[tuple[str, str]]:
        return self.core.template_choices() if step.pick == "templates" else []

    async def _ask(self, update: Update, context: Any, i: int) -> int:
        """Ask step i, or show the summary after the last one."""
        if i == self.confirm_state:
            return await self._summary(update, context)
        step = self.steps[i]
        if step.pick:
            rows = [
                [InlineKeyboardButton(f"{name} — {desc}"[:60], callback_data=f"wz:{i}:{n}")]
                for n, (name, desc) in enumerate(self._choices(step))
            ]
            rows.append(
                [InlineKeyboardButton(f"No {step.param}", callback_data=f"wz:{i}:{NO_PICK}")]
            )
            await self._say(update, context, step.ask, InlineKeyboardMarkup(rows))
            return i
        hint = " — or /skip." if step.optional else ""
        stop = " (/cancel to stop)" if i == 0 else ""
        await self._say(update, context, f"{step.ask}{hint}{stop}")
        return i

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """The first question."""
        self._draft(context).clear()
        return await self._ask(update, context, 0)

    def _typed(self, i: int) -> State:
        async def typed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            assert update.effective_message is not None
            step = self.steps[i]
            value = (update.effective_message.text or "").strip()
            problem = self.core.problem(step.param, value)
            if problem:
                again = "Try another name." if step.param == "name" else "Try again."
                await self._say(update, context, f"⚠️ {html.escape(problem)}. {again}")
                return i
            self._draft(context)[step.param] = value
            return await self._ask(update, context, i + 1)

        return typed

    def _skipped(self, i: int) -> State:
        async def skipped(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            return await self._ask(update, context, i + 1)

        return skipped

    def _picked(self, i: int) -> State:
        async def picked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
            query = update.callback_query
            assert query is not None and query.data is not None
            await query.answer()
            step = self.steps[i]
            index = int(query.data.rsplit(":", 1)[1])
            choices = self._choices(step)
            chosen = choices[index][0] if index < len(choices) else ""
            if chosen:
                self._draft(context)[step.param] = chosen
            label = step.param.capitalize()
            await query.edit_message_text(f"{label}: {html.escape(chosen or 'none')}")
            return await self._ask(update, context, i + 1)

        return picked

    async def _summary(self, update: Update, context: Any) -> int:
        draft = self._draft(context)
        assert self.spec.wizard is not None
        lines = [f"<b>{html.escape(self.spec.wizard.summary)}</b>"]
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
        return self.confirm_state

    async def confirmed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """Run the command with the draft (or not) and end."""
        query = update.callback_query
        assert query is not None
        await query.answer()
        draft = dict(self._draft(context))
        self._draft(context).clear()
        if query.data == "wz:no":
            await query.edit_message_text("Cancelled — nothing was created.")
            return ConversationHandler.END
        who = await self.h.who(update, context.bot)
        reply = await self.core.command(CommandCall(who, self.spec.path, draft))
        text = f"⚠️ {reply.text}" if reply.error else reply.text
        await query.edit_message_text(html.escape(text))
        return ConversationHandler.END

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> int:
        """/cancel at any step."""
        self._draft(context).clear()
        await self._say(update, context, "Cancelled — nothing was created.")
        return ConversationHandler.END

    async def timed_out(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Nobody answered for a while."""
        self._draft(context).clear()
        assert self.spec.wizard is not None
        again = f"/{self.spec.path[0]}_{self.spec.wizard.alias}"
        if update.effective_chat is not None:
            await context.bot.send_message(
                update.effective_chat.id,
                f"The {self.spec.path[0]} wizard timed out — nothing was created. "
                f"{again} starts again.",
            )
