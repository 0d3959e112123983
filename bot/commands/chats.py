"""/chat: several conversations with one persona — each its own transcript, one memory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply
from personas.prompt import fill
from storage.chats import ChatInfo
from storage.keys import OwnerKey

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from personas.model import Persona

WHICH = Param(
    "chat", "its number in /chat list, or its title", required=True, positional=True, greedy=True
)


async def _owner(s: Services, ctx: Context) -> tuple[Persona, OwnerKey]:
    persona = await s.personas.active(ctx)
    return persona, OwnerKey(ctx.user_id, persona.id)


async def _chats(s: Services, ctx: Context, owner: OwnerKey) -> list[ChatInfo]:
    """The owner's chats as this place may describe them: in a group, sizes and openings
    count only what was said in that group."""
    return await s.chats.all(owner, await s.conversation.here(ctx, owner))


def _title(s: Services, title: str | None) -> str:
    text = " ".join((title or "").split())
    limit = s.settings.limits.chat_title
    if len(text) > limit:
        raise BadInput(f"the title is too long: {len(text)} characters (limit {limit})")
    return text


def _find(chats: list[ChatInfo], ref: str) -> ChatInfo:
    """A chat by its number in the list, its title, or the start of one title."""
    ref = " ".join(ref.split())
    if ref.isdigit():
        n = int(ref)
        if 1 <= n <= len(chats):
            return chats[n - 1]
        raise BadInput(f"there is no chat {n}: you have {len(chats)} (/chat list)")
    folded = ref.casefold()
    exact = [c for c in chats if c.title.casefold() == folded]
    starts = [c for c in chats if c.title.casefold().startswith(folded)]
    found = exact or starts
    if len(found) == 1:
        return found[0]
    if found:
        names = ", ".join(f"{c.number} {c.label}" for c in found)
        raise BadInput(f"'{ref}' fits several chats: {names} — give the number")
    raise BadInput(f"no chat is called '{ref}' (/chat list shows yours)")


def _line(chat: ChatInfo, active: int) -> str:
    mark = "▶" if chat.id == active else " "
    last = f", last {chat.last_at:%Y-%m-%d %H:%M}" if chat.last_at else ""
    return f"{mark} {chat.number}. {chat.label} — {chat.messages} messages{last}"


@command(
    "chat",
    "new",
    help="Start a new chat with the active persona (it still remembers you)",
    params=(Param("title", "a title for it", positional=True, greedy=True, limit="chat_title"),),
)
async def chat_new(s: Services, ctx: Context, title: str | None) -> Reply:
    """An empty transcript, chosen here; long-term memory carries over."""
    persona, owner = await _owner(s, ctx)
    text = _title(s, title)
    await s.conversation.chat(ctx, owner)  # the chat left behind exists, even if unused
    chats = await _chats(s, ctx, owner)
    if len(chats) >= s.settings.limits.chats_per_persona:
        raise BadInput(
            f"you have {len(chats)} chats with {persona.display_name}, the most allowed — "
            "/chat delete one first"
        )
    await s.chats.create(owner, ctx.space_id, text)
    named = f" “{text}”" if text else ""
    said = fill(persona.greeting, persona, await s.conversation.user_name(ctx, persona))
    greeting = f"\n\n{said}" if said else ""
    return Reply(
        text=f"New chat{named} with {persona.display_name} (chat {len(chats) + 1}). It "
        f"remembers what it knows about you; the conversation starts fresh.{greeting}"
    )


@command("chat", "list", help="Your chats with the active persona")
async def chat_list(s: Services, ctx: Context) -> Reply:
    """Every chat with its size and last activity; ▶ marks the one in use here."""
    persona, owner = await _owner(s, ctx)
    active = await s.conversation.chat(ctx, owner)
    chats = await _chats(s, ctx, owner)
    lines = [f"Your chats with {persona.display_name}:"]
    lines += [_line(c, active) for c in chats]
    lines.append("/chat switch <n> changes chat; /chat new starts one.")
    return Reply(text="\n".join(lines), ephemeral=True)


@command("chat", "switch", help="Continue another chat with the active persona", params=(WHICH,))
async def chat_switch(s: Services, ctx: Context, chat: str) -> Reply:
    """Talk in that chat here from now on."""
    persona, owner = await _owner(s, ctx)
    found = _find(await _chats(s, ctx, owner), chat)
    await s.chats.choose(owner, ctx.space_id, found.id)
    here = await s.conversation.here(ctx, owner)
    last = await s.turns.recent(owner, 1, in_space=here, chat=found.id)
    tail = f"\nLast: “{_clip(last[0].content)}”" if last else ""
    return Reply(
        text=f"Now in chat {found.number}, {found.label}, with {persona.display_name} "
        f"({found.messages} messages).{tail}"
    )


def _clip(text: str, n: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


@command(
    "chat",
    "rename",
    help="Give the chat a title (default: the chat you are in)",
    params=(
        Param(
            "title",
            "the new title",
            required=True,
            positional=True,
            greedy=True,
            limit="chat_title",
        ),
        Param("chat", "which chat: its number or title (default: this one)"),
    ),
)
async def chat_rename(s: Services, ctx: Context, title: str, chat: str | None) -> Reply:
    """Retitle one of your chats with the active persona."""
    _, owner = await _owner(s, ctx)
    text = _title(s, title)
    if not text:
        raise BadInput("give the chat a title")
    chats = await _chats(s, ctx, owner)
    if chat is None:
        active = await s.conversation.chat(ctx, owner)
        found = next(c for c in chats if c.id == active)
    else:
        found = _find(chats, chat)
    await s.chats.rename(owner, found.id, text)
    return Reply(text=f"Chat {found.number} is now “{text}”.", ephemeral=True)


async def _delete_question(s: Services, ctx: Context, args: Mapping[str, Any]) -> str:
    persona, owner = await _owner(s, ctx)
    chats = await _chats(s, ctx, owner)
    found = _find(chats, str(args["chat"]))
    if len(chats) == 1:
        raise BadInput(
            f"that is your only chat with {persona.display_name} — /chat new first, or "
            "/memory wipe to delete everything"
        )
    here = await s.conversation.here(ctx, owner)
    said = (
        f"its messages ({found.messages} said here)" if here else f"its {found.messages} messages"
    )
    return (
        f"Delete chat {found.number}, {found.label}, with {said} and what was remembered "
        "from them?"
    )


@command(
    "chat",
    "delete",
    help="Delete a chat, its messages and what was remembered from them (asks first)",
    params=(WHICH,),
    confirm=_delete_question,
)
async def chat_delete(s: Services, ctx: Context, chat: str) -> Reply:
    """Delete one chat for good; where it was in use, the newest other chat takes over."""
    persona, owner = await _owner(s, ctx)
    chats = await _chats(s, ctx, owner)
    found = _find(chats, chat)
    if len(chats) == 1:
        raise BadInput(f"that is your only chat with {persona.display_name}")
    active = await s.conversation.chat(ctx, owner)
    turn_ids = await s.chats.turn_ids(owner, found.id)
    # Memories and summaries first: deleting the turns sets their source to NULL.
    forgotten = await s.memory.forget_turns(owner, turn_ids) if s.memory is not None else 0
    await s.summaries.chat_deleted(owner, found.id)
    await s.chats.delete(owner, found.id)
    note = ""
    if found.id == active:
        newest = max((c for c in chats if c.id != found.id), key=lambda c: c.id)
        await s.chats.choose(owner, ctx.space_id, newest.id)
        note = f" You are now in {newest.label}."
    memory = f" and {forgotten} memories" if forgotten else ""
    gone = f"{len(turn_ids)} messages{memory}"
    return Reply(
        text=f"Deleted chat {found.number}, {found.label}: {gone}.{note}",
        ephemeral=True,
    )


@command("chat", "summary", help="What the persona keeps of this chat's earlier messages")
async def chat_summary(s: Services, ctx: Context) -> Reply:
    """The chat's rolling summary here, brought up to date first."""
    persona, owner = await _owner(s, ctx)
    if not s.summaries.enabled:
        raise BadInput("chat summaries are turned off here (memory.summaries)")
    chat = await s.conversation.chat(ctx, owner)
    here = await s.conversation.here(ctx, owner)
    name = await s.conversation.user_name(ctx, persona)
    summary = await s.summaries.summarise(
        owner, chat, here, name, persona.display_name, force=True
    )
    window = s.settings.limits.recent_turns
    if summary is None or not summary.text:
        return Reply(
            text=f"No summary yet: {persona.display_name} reads the last {window} messages of "
            "this chat word for word, and summarises the ones before them.",
            ephemeral=True,
        )
    return Reply(
        text=f"Summary of the {summary.turns} earlier messages of this chat "
        f"(the last {window} are read word for word):\n{summary.text}",
        ephemeral=True,
    )
