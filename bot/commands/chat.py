"""Conversation controls: regenerate and swipe the last reply, take back the last exchange."""

from __future__ import annotations

import contextlib
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply
from storage.keys import OwnerKey

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@command("undo", help="Take back your last message here and the reply to it, memory included")
async def undo(s: Services, ctx: Context) -> Reply:
    """Delete the last exchange said in this space with the active persona: the message, its
    reply and every memory formed from the message, so no later prompt carries them."""
    persona = await s.personas.active(ctx)
    owner = OwnerKey(ctx.user_id, persona.id)
    chat = await s.conversation.chat(ctx, owner)
    last = await s.turns.last_message(owner, ctx.space_id, chat)
    if last is None:
        raise BadInput(f"there is nothing to undo with {persona.display_name} here")
    # Memories first: deleting the message sets their source to NULL.
    forgotten = await s.memory.forget_turns(owner, [last.id]) if s.memory is not None else 0
    await s.turns.forget_exchange(owner, last.id)
    await s.summaries.forgot(owner, [last.id])
    memory = f" and {forgotten} memories formed from it" if forgotten else ""
    return Reply(
        text=f"Undone: “{_clip(last.content)}”, {persona.display_name}'s reply{memory}.",
        ephemeral=True,
    )


def _budget(s: Services, ctx: Context) -> AbstractAsyncContextManager[None]:
    """A redone or continued reply spends the model like a message: the budgets apply."""
    return s.budgets.turn(ctx) if s.budgets is not None else contextlib.nullcontext()


@command("regen", help="Answer your last message again: a new version of the reply")
async def regen(s: Services, ctx: Context) -> Reply:
    """A new version of the active persona's last reply here, shown from now on."""
    async with _budget(s, ctx):
        return await s.conversation.regenerate(ctx, await s.personas.active(ctx), None)


@command(
    "swipe",
    help="Show another version of the last reply (default: the next one)",
    params=(Param("n", "which version, 1 = the first", type="int", positional=True, min=1),),
)
async def swipe(s: Services, ctx: Context, n: int | None) -> Reply:
    """Show version `n` (or the next) of the last reply; the history uses it from now on."""
    persona = await s.personas.active(ctx)
    return await s.conversation.swipe(ctx, persona, None, "next" if n is None else n)


@command("continue", help="Have the persona go on with its last reply, where it stopped")
async def continue_(s: Services, ctx: Context) -> Reply:
    """Extend the active persona's last reply here in place."""
    async with _budget(s, ctx):
        return await s.conversation.extend(ctx, await s.personas.active(ctx))
