"""/preset list|add|edit|disable|enable|remove (admins)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.commands.persona import (
    LONG,
    NAME,
    NEW_NAME,
    PERSONA_OPTIONS,
    _options,
    check_model,
    delete_persona,
)
from bot.commands.spec import Form, Param, Target, command
from bot.errors import BadInput, PermissionDenied
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from personas.model import Persona

PRESET_OPTIONS = tuple(p for p in PERSONA_OPTIONS if p.name != "public")


def _preset(presets: str) -> Target:
    return Target("name", "preset", presets=presets)


@command("preset", "list", help="Presets here, with their state")
async def preset_list(s: Services, ctx: Context) -> Reply:
    """Every preset visible in this space, disabled ones marked."""
    lines = ["Presets:"]
    for p in await s.personas.presets(ctx.space_id):
        state = "" if p.enabled else " [disabled]"
        where = "this space" if p.space_id else "global"
        lines.append(f"  {p.name} — {p.display_name} ({where}, {p.source}){state}")
    lines.append(f"Default preset: {s.settings.personas.default}")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "preset",
    "add",
    help="Add a preset for this space (global=yes: everywhere, bot admins)",
    params=(
        NEW_NAME,
        *PRESET_OPTIONS,
        Param(
            "global",
            "make it available in every space (bot admins only)",
            type="bool",
            rights="bot_admin",
        ),
    ),
    rights="space_admin",
    doing="manage presets",
    form=Form(LONG),
)
async def preset_add(
    s: Services, ctx: Context, name: str, global_: bool | None, **given: Any
) -> Reply:
    """Create a preset."""
    options = _options(given)
    if not options.get("prompt"):
        raise BadInput('a preset needs prompt="…"')
    await check_model(s, options)
    p = await s.personas.add_preset(ctx, name, options, bool(global_))
    where = "every space" if p.space_id is None else "this space"
    return Reply(text=f"Added preset {p.display_name} ({p.name}) for {where}.", ephemeral=True)


@command(
    "preset",
    "edit",
    help="Change a preset's fields",
    params=(NAME, *PRESET_OPTIONS),
    target=_preset("change presets"),
    form=Form(LONG, prefill="fields"),
)
async def preset_edit(
    s: Services, ctx: Context, name: str, target: Persona, **given: Any
) -> Reply:
    """Update a preset."""
    options = _options(given)
    if not options:
        raise BadInput('nothing to change — give fields like prompt="…"')
    await check_model(s, options)
    p = await s.personas.edit_preset(target, options, ctx.user_id)
    return Reply(text=f"Updated preset {p.name}: {', '.join(sorted(options))}.", ephemeral=True)


@command(
    "preset",
    "disable",
    help="Hide a preset from everyone",
    params=(NAME,),
    target=_preset("disable presets"),
)
async def preset_disable(s: Services, ctx: Context, name: str, target: Persona) -> Reply:
    """Disable a preset; its users fall back to the default."""
    await s.personas.update(target, {"enabled": False})
    return Reply(text=f"Disabled preset {target.name}.", ephemeral=True)


@command(
    "preset",
    "enable",
    help="Make a disabled preset usable again",
    params=(NAME,),
    target=_preset("enable presets"),
)
async def preset_enable(s: Services, ctx: Context, name: str, target: Persona) -> Reply:
    """Enable a preset."""
    await s.personas.update(target, {"enabled": True})
    return Reply(text=f"Enabled preset {target.name}.", ephemeral=True)


async def _remove_question(s: Services, ctx: Context, args: Mapping[str, Any]) -> str:
    p: Persona = args["target"]
    if p.source == "shipped":
        raise PermissionDenied(
            f"'{p.name}' ships with personabot — disable it with /preset disable"
        )
    return f"Remove preset {p.name} and every chat with it?"


@command(
    "preset",
    "remove",
    help="Delete a preset added by an admin (asks first)",
    params=(NAME,),
    target=_preset("remove presets"),
    confirm=_remove_question,
)
async def preset_remove(s: Services, ctx: Context, name: str, target: Persona) -> Reply:
    """Delete an admin-added preset (once confirmed)."""
    await delete_persona(s, target)
    return Reply(text=f"Removed preset {target.name} and its chats.", ephemeral=True)
