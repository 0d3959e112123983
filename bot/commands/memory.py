"""/memory: what you and the active persona have said, and what it remembers about you."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.errors import BadInput, BotError
from bot.memory.service import KINDS, MemoryService
from bot.messages import Attachment, Reply
from storage.keys import OwnerKey
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from personas.model import Persona

PAGE = 10
ID = Param(
    "id",
    "the memory's number, as /memory list shows it",
    type="int",
    required=True,
    positional=True,
    min=1,
)


async def _owner(s: Services, ctx: Context) -> tuple[Persona, OwnerKey]:
    persona = await s.personas.active(ctx)
    return persona, OwnerKey(ctx.user_id, persona.id)


def _memory(s: Services) -> MemoryService:
    if s.memory is None:
        raise BotError("long-term memory is turned off here (memory.enabled)")
    return s.memory


def _clip(text: str, n: int = 160) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


@command(
    "memory",
    "list",
    help="What the active persona remembers about you, newest first",
    params=(
        Param("kind", "only this kind", positional=True, choices=KINDS),
        Param("page", "page number", type="int", min=1),
    ),
)
async def memory_list(s: Services, ctx: Context, kind: str | None, page: int | None) -> Reply:
    """One page of this (user, persona)'s memory items."""
    memory = _memory(s)
    persona, owner = await _owner(s, ctx)
    total = await memory.repo.count(owner, kind)
    if total == 0:
        what = f"{kind} memories" if kind else "memories"
        return Reply(text=f"{persona.display_name} has no {what} of you yet.", ephemeral=True)
    pages = (total + PAGE - 1) // PAGE
    page = min(max(1, page or 1), pages)
    items = await memory.repo.page(owner, kind=kind, limit=PAGE, offset=(page - 1) * PAGE)
    lines = [f"{persona.display_name} remembers (page {page}/{pages}, {total} in all):"]
    for m in items:
        pin = " 📌" if m.pinned else ""
        lines.append(f"  #{m.id} {m.created_at:%Y-%m-%d} {m.kind}{pin}: {_clip(m.text)}")
    lines.append("/memory forget <id> removes one; /memory pin <id> keeps one from fading.")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "memory",
    "search",
    help="Find memories about something",
    params=(Param("query", "what to look for", required=True, positional=True, greedy=True),),
)
async def memory_search(s: Services, ctx: Context, query: str) -> Reply:
    """Recall without strengthening (looking is not remembering)."""
    memory = _memory(s)
    persona, owner = await _owner(s, ctx)
    found = await memory.recall(owner, query, 8, touch=False)
    if not found:
        return Reply(
            text=f"Nothing about that in {persona.display_name}'s memory.", ephemeral=True
        )
    lines = [f'Memories matching "{_clip(query, 60)}":']
    for r in found:
        lines.append(
            f"  #{r.id} {r.item.created_at:%Y-%m-%d} {r.item.kind} "
            f"(score {r.score:.2f}): {_clip(r.text)}"
        )
    return Reply(text="\n".join(lines), ephemeral=True)


@command("memory", "forget", help="Delete one memory for good", params=(ID,))
async def memory_forget(s: Services, ctx: Context, id: int) -> Reply:
    """Remove one item from SQL and the vector index, and the message it was formed from:
    out of the conversation the model reads, with its reply and anything else formed from it."""
    persona, owner = await _owner(s, ctx)
    memory = _memory(s)
    item = await memory.forget(owner, id)
    if item is None:
        raise BadInput(f"{persona.display_name} has no memory #{id} of yours")
    if item.kind == "summary":  # the chat summary it copies goes out of the prompt too
        await s.summaries.copy_forgotten(owner, id)
    if item.source_turn_id is None:
        return Reply(text=f"Forgotten: #{id}.", ephemeral=True)
    # Memories first: deleting the message sets their source to NULL.
    others = await memory.forget_turns(owner, [item.source_turn_id])
    gone = await s.turns.forget_exchange(owner, item.source_turn_id)
    await s.summaries.forgot(owner, [item.source_turn_id])  # a summary may quote it
    said = "the message it came from and its reply" if gone else "(its message was already gone)"
    more = f", and {others} other memories formed from that message" if others else ""
    return Reply(text=f"Forgotten: #{id}, {said}{more}.", ephemeral=True)


async def _pin(s: Services, ctx: Context, item_id: int, pinned: bool) -> Reply:
    persona, owner = await _owner(s, ctx)
    if not await _memory(s).repo.set_pinned(owner, item_id, pinned):
        raise BadInput(f"{persona.display_name} has no memory #{item_id} of yours")
    verb = "Pinned" if pinned else "Unpinned"
    return Reply(text=f"{verb} #{item_id}.", ephemeral=True)


@command("memory", "pin", help="Keep a memory from fading", params=(ID,))
async def memory_pin(s: Services, ctx: Context, id: int) -> Reply:
    """Pin one item."""
    return await _pin(s, ctx, id, True)


@command("memory", "unpin", help="Let a pinned memory fade again", params=(ID,))
async def memory_unpin(s: Services, ctx: Context, id: int) -> Reply:
    """Unpin one item."""
    return await _pin(s, ctx, id, False)


@command("memory", "stats", help="How much the active persona remembers about you")
async def memory_stats(s: Services, ctx: Context) -> Reply:
    """Counts by kind and tier, strength, and whether the index matches SQL."""
    memory = _memory(s)
    persona, owner = await _owner(s, ctx)
    stats = await memory.repo.stats(owner)
    turns = await s.turns.count(owner)
    indexed = await memory.vectors.count(owner)
    total = sum(stats["kinds"].values())
    searchable = total - stats["tiers"].get("archived", 0)  # archived ones leave the index
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(stats["kinds"].items())) or "none"
    tiers = ", ".join(f"{k} {v}" for k, v in sorted(stats["tiers"].items())) or "none"
    fading = await s.decay.fading(ctx.user_id, persona.id, persona.decay, utcnow())
    lines = [
        f"{persona.display_name}'s memory of you:",
        f"  messages: {turns}",
        f"  memories: {total} ({kinds})",
        f"  tiers: {tiers}; pinned: {stats['pinned']}",
        f"  average strength: {stats['average_strength']:.2f}",
        f"  fading out within a week: {fading}",
        f"  search index: {indexed} of {searchable}"
        + ("" if indexed == searchable else " — run `python -m bot memory reindex`"),
    ]
    return Reply(text="\n".join(lines), ephemeral=True)


@command("memory", "export", help="Download your memories and messages with the active persona")
async def memory_export(s: Services, ctx: Context) -> Reply:
    """A JSON file with every memory item and turn of this (user, persona)."""
    persona, owner = await _owner(s, ctx)
    data = await _memory(s).export(owner)
    turns = await s.turns.recent(owner, 1_000_000)
    data.update(
        persona=persona.name,
        exported_at=utcnow().isoformat(),
        turns=[
            {
                "id": t.id,
                "chat": t.chat_id,
                "role": t.role,
                "content": t.content,
                "created_at": t.created_at.isoformat(),
            }
            for t in turns
        ],
    )
    body = json.dumps(data, ensure_ascii=False, indent=2).encode()
    name = f"personabot-{persona.name}-memory.json"
    return Reply(
        text=f"Your memories ({len(data['items'])}) and messages ({len(turns)}) "
        f"with {persona.display_name}: {name}",
        attachments=(Attachment(name, "application/json", body),),
        ephemeral=True,
    )


async def _wipe_question(s: Services, ctx: Context, args: Mapping[str, Any]) -> str:
    persona, owner = await _owner(s, ctx)
    count = await s.turns.count(owner)
    items = await s.memory.repo.count(owner) if s.memory else 0
    return (
        f"Delete all {count} messages and {items} memories between you and {persona.display_name}?"
    )


@command(
    "memory",
    "wipe",
    help="Delete your messages and memories with the active persona (asks first)",
    confirm=_wipe_question,
)
async def memory_wipe(s: Services, ctx: Context) -> Reply:
    """Delete this (user, persona)'s turns and memory items (SQL and index), once confirmed."""
    persona, owner = await _owner(s, ctx)
    n = await s.turns.wipe(owner)
    await s.chats.wipe(owner)  # titles too; the next message starts a fresh chat
    await s.summaries.forgot(owner, [0])  # every summary of every chat
    m = await s.memory.wipe(owner) if s.memory else 0
    return Reply(
        text=f"Deleted {n} messages and {m} memories with {persona.display_name}.",
        ephemeral=True,
    )


@command(
    "memory",
    "scope",
    help="In groups, recall only what you said there (private) or everything (everywhere)",
    params=(
        Param(
            "where", "private or everywhere", positional=True, choices=("private", "everywhere")
        ),
    ),
)
async def memory_scope(s: Services, ctx: Context, where: str | None) -> Reply:
    """What the active persona may bring up in groups; DMs always see everything."""
    persona, owner = await _owner(s, ctx)
    if where is not None:
        await s.scopes.set(owner, where == "everywhere")
    everywhere = await s.scopes.everywhere(owner)
    text = (
        f"In groups, {persona.display_name} may bring up anything you told it, DMs included."
        if everywhere
        else f"In a group, {persona.display_name} recalls only what you said in that group; "
        "what you say in DMs stays there. (/memory scope everywhere changes that.)"
    )
    return Reply(text=text, ephemeral=True)
