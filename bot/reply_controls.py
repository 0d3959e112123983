"""Mixed into Core: the controls on a reply — stop it, redo it (🔄), show another version
(◀ ▶), take it out (❌), answer an edited message again — and greetings' ◀ ▶."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from bot.commands.cards import greeting_reply
from bot.dispatch import clean, guard
from bot.errors import BadInput
from bot.messages import Incoming, Reply, Who

if TYPE_CHECKING:
    import asyncio

    from bot.access import Access
    from bot.budgets import Budgets
    from bot.config import Settings
    from bot.context import Context
    from bot.conversation import Conversation
    from bot.locks import KeyedLocks
    from bot.persona_service import PersonaService
    from bot.services import Services
    from storage.turns import TurnRepo


class ReplyControls:
    """Core's reply controls (Core provides the collaborators)."""

    settings: Settings
    personas: PersonaService
    conversation: Conversation
    services: Services
    turns: TurnRepo
    locks: KeyedLocks
    access: Access
    budgets: Budgets
    _stops: dict[tuple[str, str], asyncio.Event]

    async def context(self, who: Who) -> Context:
        """Resolve platform identity to ids (Core provides it)."""
        raise NotImplementedError

    @asynccontextmanager
    async def gate(self, ctx: Context) -> AsyncIterator[None]:
        """What every answer that spends passes first: the access lists, then the budgets
        (held while it runs). Refused here, nothing is stored."""
        await self.access.check(ctx)
        async with self.budgets.turn(ctx):
            yield

    def stop(self, who: Who) -> bool:
        """Stop the reply being written for this user now (Ctrl-C, ⏹): what was written is
        kept, marked as cut. False when nothing is being written for them."""
        stop = self._stops.get((who.platform, who.user_ref))
        if stop is None or stop.is_set():
            return False
        stop.set()
        return True

    async def regenerate(self, who: Who, reply_id: int | None = None) -> Reply:
        """A new version of this user's last reply here (a 🔄 press; None: whichever it is)."""
        return await guard(self._on_reply(who, reply_id, None), "regenerating a reply")

    async def swipe(self, who: Who, reply_id: int | None, to: int | str) -> Reply:
        """Show another version of the last reply: a number, "prev" or "next" (◀ ▶)."""
        return await guard(self._on_reply(who, reply_id, to), "showing another version")

    async def greeting(self, who: Who, persona_id: int, n: int) -> Reply:
        """Greeting `n` of a persona this user may talk to (◀ ▶ under a greeting)."""

        async def run() -> Reply:
            ctx = await self.context(who)
            p = await self.personas.get(persona_id)
            if p is None or not self.personas.usable(ctx, p):
                raise BadInput("that persona isn't available here")
            self.conversation.greeted[(ctx.user_id, p.id)] = n
            return await greeting_reply(self.services, ctx, p, n)

        return await guard(run(), "showing a greeting")

    async def remove_reply(self, who: Who, reply_id: int) -> bool:
        """Take one of a persona's replies to this user out of the conversation (❌ on it);
        False if it is not a reply to them."""
        async with self.locks.hold((who.platform, who.user_ref)):
            ctx = await self.context(who)
            return await self.turns.forget_reply(ctx.user_id, reply_id)

    async def edited(self, incoming: Incoming) -> Reply:
        """The user edited their last message here (an adapter knows it was the last): it is
        answered again, and the conversation carries the new text."""
        text = clean(incoming.text).strip()
        limit = self.settings.limits.message
        if not text or len(text) > limit:
            return Reply(text=f"the edited message must be 1-{limit} characters", error=True)

        async def run() -> Reply:
            async with self.locks.hold((incoming.who.platform, incoming.who.user_ref)):
                ctx = await self.context(incoming.who)
                async with self.gate(ctx):  # answered again: a turn's spending
                    persona = await self.personas.active(ctx)
                    return await self.conversation.edited(ctx, persona, text)

        return await guard(run(), "answering an edited message")

    async def _on_reply(self, who: Who, reply_id: int | None, to: int | str | None) -> Reply:
        async with self.locks.hold((who.platform, who.user_ref)):
            ctx = await self.context(who)
            persona = await self.personas.active(ctx)
            if to is None:
                async with self.gate(ctx):  # a new version spends like a message
                    return await self.conversation.regenerate(ctx, persona, reply_id)
            return await self.conversation.swipe(ctx, persona, reply_id, to)
