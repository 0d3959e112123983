"""/persona list|show|switch|create|edit|delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply
from personas.knowledge import LIMIT as KNOWLEDGE_LIMIT
from personas.knowledge import scrub
from personas.model import OPTION_FIELDS, Persona
from personas.traits import format_traits
from storage.models import utcnow
from storage.repos import OwnerKey

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core

NAME = Param("name", "the persona's name", type="persona", required=True, positional=True)
NEW_NAME = Param("name", "a name for the new persona", required=True, positional=True)
PERSONA_OPTIONS = (
    Param("prompt", "system prompt: who the persona is and how it behaves", long=True),
    Param("display", "display name shown on replies"),
    Param("bio", "short public description", long=True),
    Param("greeting", "first message after switching to it", long=True),
    Param("examples", "example dialogue showing how it talks", long=True),
    Param("post", "instructions placed after the chat history, against drift", long=True),
    Param("traits", 'Big-Five and custom traits 0-100, e.g. "openness:80 humor:60"'),
    Param("domains", "knowledge domains, comma separated"),
    Param("style", 'conversation style, e.g. "short, casual, emoji"'),
    Param("avatar", "avatar image URL (http/https)"),
    Param("voice", "voice id for spoken replies"),
    Param("model", "model override (a litellm model string)"),
    Param("temperature", "temperature override, 0-2", type="float"),
    Param("template", "start from a template: friendly-assistant, analytical-expert, …"),
    Param("public", "share it with everyone in this space", type="bool"),
    Param("decay", 'how its memories fade, e.g. "linear:14" (empty: the config default)'),
)
assert {p.name for p in PERSONA_OPTIONS} == set(OPTION_FIELDS)


def _options(args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k in OPTION_FIELDS}


async def check_model(core: Core, options: dict[str, Any]) -> None:
    """Refuse a model string litellm cannot route."""
    if options.get("model"):
        problem = await core.llm.validate_model(str(options["model"]))
        if problem:
            raise BadInput(problem)


def describe(p: Persona, *, full: bool) -> str:
    """Persona details for /persona show (the prompt only for its owner or admins)."""
    lines = [f"{p.display_name} ({p.name}) — {p.scope_label}"]
    if p.status != "active" or not p.enabled:
        lines[0] += " [disabled]" if not p.enabled else f" [{p.status}]"
    for label, value in (
        ("bio", p.bio),
        ("traits", format_traits(p.traits, p.custom_traits)),
        ("domains", ", ".join(p.domains)),
        ("style", p.style),
        ("template", p.template),
        ("model", p.model),
        ("temperature", "" if p.temperature is None else f"{p.temperature:g}"),
        ("voice", p.voice),
        ("memory decay", p.decay),
        ("avatar", p.avatar_url),
        ("greeting", p.greeting),
    ):
        if value:
            lines.append(f"  {label}: {value}")
    if full and p.system_prompt:
        prompt = p.system_prompt if len(p.system_prompt) <= 600 else p.system_prompt[:599] + "…"
        lines.append(f"  prompt: {prompt}")
    lines.append(f"  used {p.usage_count} times")
    return "\n".join(lines)


@command("persona", "list", help="Personas you can talk to here")
async def persona_list(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Presets, your own personas, and those shared here."""
    active = await core.personas.active(ctx)
    lines = ["Personas here (* = active; /persona switch <name>):"]
    for p in await core.personas.listing(ctx):
        mark = "*" if p.id == active.id else " "
        owner = "yours, " if p.owner_id == ctx.user_id else ""
        lines.append(f" {mark} {p.name} — {p.display_name} ({owner}{p.scope_label})")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "persona",
    "show",
    help="Details of a persona (default: the active one)",
    params=(Param("name", "the persona's name", type="persona", positional=True),),
)
async def persona_show(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Show one persona."""
    name = args.get("name")
    p = await core.personas.find(ctx, name) if name else await core.personas.active(ctx)
    full = p.owner_id == ctx.user_id or (p.is_preset and ctx.space_admin)
    text = describe(p, full=full)
    if core.settings.mood.enabled:
        mood = await core.moods.current(OwnerKey(ctx.user_id, p.id), p, utcnow())
        text += f"\n  mood toward you: {mood.describe()}"
    if p.retire_on or p.retire_after_days:
        plan = (
            f"on {p.retire_on:%Y-%m-%d}"
            if p.retire_on
            else f"after {p.retire_after_days} quiet days"
        )
        text += f"\n  retiring {plan}"
    return Reply(text=text, ephemeral=True)


@command("persona", "switch", help="Talk to another persona here", params=(NAME,))
async def persona_switch(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Make a persona active; it answers with its greeting."""
    from bot.core import look

    p = await core.personas.switch(ctx, args["name"])
    text = p.greeting or f"You are now talking to {p.display_name}."
    return Reply(text=text, persona=look(p))


@command(
    "persona",
    "create",
    help="Create your own persona (private unless public=yes)",
    params=(NEW_NAME, *PERSONA_OPTIONS),
)
async def persona_create(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Create a persona owned by the caller and switch to it."""
    options = _options(args)
    await check_model(core, options)
    p = await core.personas.create(ctx, args["name"], options)
    await core.personas.switch(ctx, p.name)
    shared = "shared with this space" if p.visibility == "public" else "private to you"
    return Reply(
        text=f"Created {p.display_name} ({p.name}), {shared}. You are now talking to it.",
        ephemeral=True,
    )


@command(
    "persona",
    "edit",
    help="Change fields of a persona you own",
    params=(NAME, *PERSONA_OPTIONS),
)
async def persona_edit(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Update the given fields."""
    options = _options(args)
    if not options:
        raise BadInput('nothing to change — give fields like prompt="…" or bio="…"')
    await check_model(core, options)
    p = await core.personas.edit(ctx, args["name"], options)
    return Reply(text=f"Updated {p.display_name}: {', '.join(sorted(options))}.", ephemeral=True)


@command(
    "persona",
    "delete",
    help="Delete a persona you own and its chats (asks first)",
    params=(NAME,),
    confirms=True,
)
async def persona_delete(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Ask, then delete the persona."""
    p = await core.personas.owned(ctx, args["name"])
    return ask_to_delete(
        core,
        ctx,
        p,
        f"Delete {p.display_name} ({p.name}) and every chat with it, for everyone?",
        f"Deleted {p.display_name} and its chats.",
    )


def ask_to_delete(core: Core, ctx: Context, p: Persona, question: str, done: str) -> Reply:
    """Park the deletion of `p` behind a yes/no confirmation by the asking user."""

    async def delete() -> Reply:
        await core.personas.repo.delete(p.id)
        if p.custom_voice_id and core.voice is not None:
            await core.voice.forget_clone(p.custom_voice_id)  # the clone goes with it
        return Reply(text=done, ephemeral=True)

    return core.confirmations.ask(ctx.who, f"{question} This cannot be undone.", delete)


@command(
    "persona",
    "knowledge",
    help="Show, set or clear the lessons a persona keeps for all its users (no personal data)",
    params=(
        Param(
            "action",
            "show, set or clear",
            required=True,
            positional=True,
            choices=("show", "set", "clear"),
        ),
        Param("text", "the new lessons (for set)", positional=True, greedy=True, long=True),
        Param("name", "which persona (default: the active one)", type="persona"),
    ),
)
async def persona_knowledge(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Shared knowledge is scrubbed of contacts, numbers and names before it is stored."""
    name = args.get("name")
    action = args["action"]
    if action == "show":
        p = await core.personas.find(ctx, name) if name else await core.personas.active(ctx)
        body = p.knowledge or "(nothing yet)"
        return Reply(
            text=f"What {p.display_name} has learned for everyone:\n{body}", ephemeral=True
        )
    target = name or (await core.personas.active(ctx)).name
    p = await core.personas.knowledge_editable(ctx, target)
    if action == "clear":
        await core.personas.repo.update(p.id, {"knowledge": ""})
        return Reply(text=f"Cleared {p.display_name}'s shared knowledge.", ephemeral=True)
    text = str(args.get("text") or "").strip()
    if not text:
        raise BadInput("give the lessons after set, e.g. /persona knowledge set Keep it short.")
    if len(text) > KNOWLEDGE_LIMIT:
        raise BadInput(f"knowledge is too long: {len(text)} characters (limit {KNOWLEDGE_LIMIT})")
    clean = scrub(text, keep=[p.display_name])
    await core.personas.repo.update(p.id, {"knowledge": clean})
    note = "" if clean == text else " Personal details were replaced with tags."
    return Reply(text=f"Updated {p.display_name}'s shared knowledge.{note}", ephemeral=True)
