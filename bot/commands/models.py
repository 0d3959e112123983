"""/model show|set|temperature|reset — per-space overrides of the persona's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.errors import BadInput, PermissionDenied
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core


def _may_change(ctx: Context) -> None:
    if not (ctx.private_space or ctx.space_admin):
        raise PermissionDenied("only admins can change the model in a group; DMs are yours")


@command("model", "show", help="The model and temperature replies use here")
async def model_show(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Effective model and temperature, and where each comes from."""
    persona = await core.personas.active(ctx)
    model, temp, src = await core.model_for(ctx, persona)
    return Reply(
        text=(
            f"Model: {model} (from {src['model']})\n"
            f"Temperature: {temp:g} (from {src['temperature']})\n"
            f"Fallbacks: {', '.join(core.settings.llm.fallbacks) or 'none'}"
        ),
        ephemeral=True,
    )


@command(
    "model",
    "set",
    help="Use another model in this space",
    params=(
        Param(
            "model",
            "a litellm model string, e.g. openai/gpt-4o-mini",
            required=True,
            positional=True,
        ),
    ),
)
async def model_set(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Override the model for this space."""
    _may_change(ctx)
    model = str(args["model"]).strip()
    if len(model) > 200:
        raise BadInput("model is too long (limit 200)")
    problem = await core.llm.validate_model(model)
    if problem:
        raise BadInput(problem)
    await core.space_settings.set(ctx.space_id, model=model)
    return Reply(text=f"Replies here now use {model}.", ephemeral=True)


@command(
    "model",
    "temperature",
    help="Set the temperature (0-2) in this space",
    params=(
        Param("value", "0 = focused … 2 = wild", type="float", required=True, positional=True),
    ),
)
async def model_temperature(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Override the temperature for this space."""
    _may_change(ctx)
    value = float(args["value"])
    if not 0 <= value <= 2:
        raise BadInput(f"temperature must be between 0 and 2 (got {value:g})")
    await core.space_settings.set(ctx.space_id, temperature=value)
    return Reply(text=f"Temperature here is now {value:g}.", ephemeral=True)


@command("model", "reset", help="Drop this space's model and temperature overrides")
async def model_reset(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Back to persona and config defaults."""
    _may_change(ctx)
    await core.space_settings.reset(ctx.space_id)
    return Reply(text="Model and temperature are back to the defaults.", ephemeral=True)
