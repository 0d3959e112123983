"""/model show|set|temperature|reset — per-space overrides of the persona's defaults."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services

DOING = "change the model"


@command("model", "show", help="The model and temperature replies use here")
async def model_show(s: Services, ctx: Context) -> Reply:
    """Effective model and temperature, and where each comes from."""
    persona = await s.personas.active(ctx)
    model, temp, src = await s.models.effective(ctx, persona)
    return Reply(
        text=(
            f"Model: {model} (from {src['model']})\n"
            f"Temperature: {temp:g} (from {src['temperature']})\n"
            f"Fallbacks: {', '.join(s.settings.llm.fallbacks) or 'none'}"
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
    rights="space",
    doing=DOING,
)
async def model_set(s: Services, ctx: Context, model: str) -> Reply:
    """Override the model for this space."""
    model = model.strip()
    if len(model) > 200:
        raise BadInput("model is too long (limit 200)")
    await s.models.check(model)
    await s.models.spaces.set(ctx.space_id, model=model)
    return Reply(text=f"Replies here now use {model}.", ephemeral=True)


@command(
    "model",
    "temperature",
    help="Set the temperature (0-2) in this space",
    params=(
        Param(
            "value",
            "0 = focused … 2 = wild",
            type="float",
            required=True,
            positional=True,
            min=0,
            max=2,
        ),
    ),
    rights="space",
    doing=DOING,
)
async def model_temperature(s: Services, ctx: Context, value: float) -> Reply:
    """Override the temperature for this space."""
    if not 0 <= value <= 2:
        raise BadInput(f"temperature must be between 0 and 2 (got {value:g})")
    await s.models.spaces.set(ctx.space_id, temperature=value)
    return Reply(text=f"Temperature here is now {value:g}.", ephemeral=True)


@command(
    "model",
    "reset",
    help="Drop this space's model and temperature overrides",
    rights="space",
    doing=DOING,
)
async def model_reset(s: Services, ctx: Context) -> Reply:
    """Back to persona and config defaults."""
    await s.models.spaces.reset(ctx.space_id)
    return Reply(text="Model and temperature are back to the defaults.", ephemeral=True)
