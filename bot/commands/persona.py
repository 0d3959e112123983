"""/persona list|show|switch|create|edit|delete."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from bot.commands.cards import greeting_reply
from bot.commands.spec import Form, Param, Picker, Step, Target, Wizard, command
from bot.errors import BadInput
from bot.messages import Attachment, Reply
from bot.surface import look
from personas.knowledge import LIMIT as KNOWLEDGE_LIMIT
from personas.knowledge import scrub
from personas.model import OPTION_FIELDS, Persona
from personas.traits import format_traits
from storage.keys import OwnerKey
from storage.models import utcnow

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services

NAME = Param("name", "the persona's name", type="persona", required=True, positional=True)
NEW_NAME = Param("name", "a name for the new persona", required=True, positional=True)
PERSONA_OPTIONS = (
    Param(
        "prompt", "system prompt: who the persona is and how it behaves", long=True, limit="prompt"
    ),
    Param("display", "display name shown on replies", limit="display_name"),
    Param("bio", "short public description", long=True, limit="bio"),
    Param("greeting", "first message after switching to it", long=True, limit="greeting"),
    Param(
        "examples", "example dialogue showing how it talks", long=True, limit="example_dialogue"
    ),
    Param(
        "post",
        "instructions placed after the chat history, against drift",
        long=True,
        limit="post_history",
    ),
    Param("traits", 'Big-Five and custom traits 0-100, e.g. "openness:80 humor:60"'),
    Param("domains", "knowledge domains, comma separated"),
    Param("style", 'conversation style, e.g. "short, casual, emoji"', limit="style"),
    Param("avatar", "avatar image URL (http/https)"),
    Param("voice", "voice id for spoken replies"),
    Param("model", "model override (a litellm model string)"),
    Param("temperature", "temperature override, 0-2", type="float", min=0, max=2),
    Param("template", "start from a template: friendly-assistant, analytical-expert, …"),
    Param("public", "share it with everyone in this space", type="bool"),
    Param("decay", 'how its memories fade, e.g. "linear:14" (empty: the config default)'),
)
assert {p.name for p in PERSONA_OPTIONS} == set(OPTION_FIELDS)


def _options(given: dict[str, Any]) -> dict[str, Any]:
    """The persona fields a user gave (None means not given)."""
    return {k: v for k, v in given.items() if k in OPTION_FIELDS and v is not None}


async def check_model(s: Services, options: dict[str, Any]) -> None:
    """Refuse a model string litellm cannot route."""
    if options.get("model"):
        await s.models.check(str(options["model"]))


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
        ("avatar", "a picture (attached)" if p.avatar_image else p.avatar_url),
        ("greeting", p.greeting),
    ):
        if value:
            lines.append(f"  {label}: {value}")
    if full and p.system_prompt:
        prompt = p.system_prompt if len(p.system_prompt) <= 600 else p.system_prompt[:599] + "…"
        lines.append(f"  prompt: {prompt}")
    uses = {0: "never used yet", 1: "used once"}.get(p.usage_count, f"used {p.usage_count} times")
    lines.append(f"  {uses}")
    return "\n".join(lines)


@command("persona", "list", help="Personas you can talk to here")
async def persona_list(s: Services, ctx: Context) -> Reply:
    """Presets, your own personas, and those shared here."""
    active = await s.personas.active(ctx)
    lines = ["Personas here (* = active; /persona switch <name>):"]
    listing = await s.personas.listing(ctx)
    presets = {p.display_name.lower() for p in listing if p.is_preset}
    for p in listing:
        mark = "*" if p.id == active.id else " "
        owner = "yours, " if p.owner_id == ctx.user_id else ""
        # A user's persona that looks like a preset (made before that was refused) says so.
        poses = not p.is_preset and p.display_name.lower() in presets
        alike = " — not the preset" if poses else ""
        if p.retire_on or p.retire_after_days:
            alike += " [retiring]"
        lines.append(f" {mark} {p.name} — {p.display_name} ({owner}{p.scope_label}){alike}")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "persona",
    "show",
    help="Details of a persona (default: the active one)",
    params=(Param("name", "the persona's name", type="persona", positional=True),),
)
async def persona_show(s: Services, ctx: Context, name: str | None) -> Reply:
    """Show one persona."""
    p = await s.personas.find(ctx, name) if name else await s.personas.active(ctx)
    full = p.owner_id == ctx.user_id or (p.is_preset and ctx.space_admin)
    text = describe(p, full=full)
    if s.settings.mood.enabled:
        mood = await s.moods.current(OwnerKey(ctx.user_id, p.id), p, utcnow())
        text += f"\n  mood toward you: {mood.describe()}"
    if p.retire_on or p.retire_after_days:
        plan = (
            f"on {p.retire_on:%Y-%m-%d}"
            if p.retire_on
            else f"after {p.retire_after_days} quiet days"
        )
        text += f"\n  retiring {plan}"
    if p.moderated and full:
        text += (
            f"\n  taken down by {p.taken_down_by}: {p.moderation_reason} "
            "(it can't be shared again)"
        )
    found = await s.pictures.get(p.avatar_image)
    pictures: tuple[Attachment, ...] = ()
    if found is not None:
        kind = found.mime.split("/")[1].replace("jpeg", "jpg")
        pictures = (Attachment(f"{p.name}.{kind}", found.mime, found.data, inline=True),)
    return Reply(text=text, attachments=pictures, ephemeral=True)


@command(
    "persona",
    "switch",
    help="Talk to another persona here",
    params=(NAME,),
    picker=Picker("name", "Who do you want to talk to?"),
)
async def persona_switch(s: Services, ctx: Context, name: str) -> Reply:
    """Make a persona active; it answers with its greeting."""
    p = await s.personas.switch(ctx, name)
    if s.personas.greetings(p):  # with ◀ ▶ when a card brought alternates
        s.conversation.greeted[(ctx.user_id, p.id)] = 1
        return await greeting_reply(s, ctx, p, 1)
    return Reply(text=f"You are now talking to {p.display_name}.", persona=look(p))


LONG = tuple(p.name for p in PERSONA_OPTIONS if p.long)


@command(
    "persona",
    "create",
    help="Create your own persona (private unless you make it public)",
    params=(NEW_NAME, *PERSONA_OPTIONS),
    form=Form(LONG),
    wizard=Wizard(
        "new",
        (
            Step("name", "Let's create a persona. What's its name?"),
            Step("template", "Start from a template?", pick="templates"),
            Step("prompt", "Who is it and how does it behave? Write its prompt."),
            Step("traits", 'Personality traits 0-100, e.g. "openness:80 humor:60"', True),
            Step("voice", "A voice id for spoken replies", True),
        ),
        "Create this persona?",
    ),
)
async def persona_create(s: Services, ctx: Context, name: str, **given: Any) -> Reply:
    """Create a persona owned by the caller and switch to it."""
    options = _options(given)
    await check_model(s, options)
    p = await s.personas.create(ctx, name, options)
    await s.personas.switch(ctx, p.name)
    shared = "shared with this space" if p.visibility == "public" else "private to you"
    text = f"Created {p.display_name} ({p.name}), {shared}. You are now talking to it."
    if p.greeting:  # what it says first, as switching to it would
        text += f"\n\n{p.display_name}: {p.greeting}"
    return Reply(text=text, ephemeral=True)


@command(
    "persona",
    "edit",
    help="Change fields of a persona you own",
    params=(
        NAME,
        *PERSONA_OPTIONS,
        Param("image", "a picture to be its avatar (PNG, JPEG, WebP or GIF)", type="file"),
    ),
    target=Target("name", "owner", doing="change it"),
    form=Form(LONG, prefill="fields"),
)
async def persona_edit(
    s: Services, ctx: Context, name: str, target: Persona, image: Attachment | None, **given: Any
) -> Reply:
    """Update the given fields; an attached picture becomes the avatar."""
    options = _options(given)
    if not options and image is None:
        raise BadInput('nothing to change — give fields like prompt="…" or bio="…", or a picture')
    await check_model(s, options)
    picture = await s.pictures.check(image.data) if image is not None else None
    p = await s.personas.edit(ctx, target, options, picture)
    changed = sorted(options) + (["avatar image"] if picture else [])
    return Reply(text=f"Updated {p.display_name}: {', '.join(changed)}.", ephemeral=True)


@command(
    "persona",
    "delete",
    help="Delete a persona you own and its chats (asks first)",
    params=(NAME,),
    target=Target("name", "owner", doing="change or delete it"),
    confirm="Delete {target.display_name} ({target.name}) and every chat with it, for everyone?",
)
async def persona_delete(s: Services, ctx: Context, name: str, target: Persona) -> Reply:
    """Delete the persona (once confirmed)."""
    await delete_persona(s, target)
    return Reply(text=f"Deleted {target.display_name} and its chats.", ephemeral=True)


async def delete_persona(s: Services, p: Persona) -> None:
    """The persona, its chats, memories and documents; an instant voice clone goes with it."""
    await s.personas.delete(p)
    if s.documents is not None:  # the rows went with the persona; the chunks go here
        await s.documents.wipe(p.id)
    if p.custom_voice_id and s.voice is not None:
        await s.voice.forget_clone(p.custom_voice_id)


@command(
    "persona",
    "knowledge",
    help="Show, set or clear the lessons a persona keeps for all its users (owners, admins)",
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
    # Shared knowledge is read into every user's prompt; its owner and admins curate it, and
    # only they see it (a user never learns what other users' conversations taught it).
    target=Target(
        "name",
        "change",
        default_active=True,
        doing="see or change its knowledge",
        presets="see or change the knowledge of presets",
    ),
    form=Form(("text",), action="set", prefill="knowledge"),
)
async def persona_knowledge(
    s: Services, ctx: Context, action: str, text: str | None, name: str | None, target: Persona
) -> Reply:
    """Shared knowledge is scrubbed of contacts, numbers and names before it is stored."""
    p = target
    if action == "show":
        body = p.knowledge or "(nothing yet)"
        return Reply(
            text=f"What {p.display_name} has learned for everyone:\n{body}", ephemeral=True
        )
    if action == "clear":
        await s.personas.update(p, {"knowledge": ""}, ctx.user_id)
        return Reply(text=f"Cleared {p.display_name}'s shared knowledge.", ephemeral=True)
    text = (text or "").strip()
    if not text:
        raise BadInput("give the lessons after set, e.g. /persona knowledge set Keep it short.")
    if len(text) > KNOWLEDGE_LIMIT:
        raise BadInput(f"knowledge is too long: {len(text)} characters (limit {KNOWLEDGE_LIMIT})")
    clean = await asyncio.to_thread(scrub, text, (), [p.display_name])  # Presidio: off the loop
    await s.personas.update(p, {"knowledge": clean}, ctx.user_id)
    note = "" if clean == text else " Personal details were replaced with tags."
    return Reply(text=f"Updated {p.display_name}'s shared knowledge.{note}", ephemeral=True)
