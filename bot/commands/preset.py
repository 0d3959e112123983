"""/preset list|add|edit|disable|enable|remove (admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.persona import (
    NAME,
    NEW_NAME,
    PERSONA_OPTIONS,
    _options,
    ask_to_delete,
    check_model,
)
from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core

PRESET_OPTIONS = tuple(p for p in PERSONA_OPTIONS if p.name != "public")


@command("preset", "list", help="Presets here, with their state")
async def preset_list(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Every preset visible in this space, disabled ones marked."""
    lines = ["Presets:"]
    for p in await core.personas.repo.presets(ctx.space_id):
        state = "" if p.enabled else " [disabled]"
        where = "this space" if p.space_id else "global"
        lines.append(f"  {p.name} — {p.display_name} ({where}, {p.source}){state}")
    default = core.settings.personas.default
    lines.append(f"Default preset: {default}")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "preset",
    "add",
    help="Add a preset for this space (global=yes: everywhere, bot admins)",
    params=(
        NEW_NAME,
        *PRESET_OPTIONS,
        Param("global", "make it available in every space (bot admins only)", type="bool"),
    ),
    admin=True,
)
async def preset_add(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Create a preset."""
    options = _options(args)
    if not options.get("prompt"):
        raise BadInput('a preset needs prompt="…"')
    await check_model(core, options)
    p = await core.personas.add_preset(ctx, args["name"], options, bool(args.get("global")))
    where = "every space" if p.space_id is None else "this space"
    return Reply(text=f"Added preset {p.display_name} ({p.name}) for {where}.", ephemeral=True)


@command(
    "preset",
    "edit",
    help="Change a preset's fields",
    params=(NAME, *PRESET_OPTIONS),
    admin=True,
)
async def preset_edit(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Update a preset."""
    options = _options(args)
    if not options:
        raise BadInput('nothing to change — give fields like prompt="…"')
    await check_model(core, options)
    p = await core.personas.edit_preset(ctx, args["name"], options)
    return Reply(text=f"Updated preset {p.name}: {', '.join(sorted(options))}.", ephemeral=True)


@command("preset", "disable", help="Hide a preset from everyone", params=(NAME,), admin=True)
async def preset_disable(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Disable a preset; its users fall back to the default."""
    p = await core.personas.set_enabled(ctx, args["name"], False)
    return Reply(text=f"Disabled preset {p.name}.", ephemeral=True)


@command(
    "preset", "enable", help="Make a disabled preset usable again", params=(NAME,), admin=True
)
async def preset_enable(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Enable a preset."""
    p = await core.personas.set_enabled(ctx, args["name"], True)
    return Reply(text=f"Enabled preset {p.name}.", ephemeral=True)


@command(
    "preset",
    "remove",
    help="Delete a preset added by an admin (asks first)",
    params=(NAME,),
    admin=True,
    confirms=True,
)
async def preset_remove(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Ask, then delete an admin-added preset."""
    p = await core.personas.removable_preset(ctx, args["name"])
    return ask_to_delete(
        core,
        ctx,
        p,
        f"Remove preset {p.name} and every chat with it?",
        f"Removed preset {p.name} and its chats.",
    )
