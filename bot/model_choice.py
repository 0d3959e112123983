"""Which model and temperature answer here: space override → persona → config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.errors import BadInput

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.context import Context
    from bot.llm import LLM
    from personas.model import Persona
    from storage.space_settings import SpaceSettingsRepo


class ModelChoice:
    """Per-space overrides and the rule that combines them with persona and config."""

    def __init__(self, settings: Settings, llm: LLM, spaces: SpaceSettingsRepo) -> None:
        self.settings = settings
        self.llm = llm
        self.spaces = spaces

    async def effective(self, ctx: Context, persona: Persona) -> tuple[str, float, dict[str, str]]:
        """Model and temperature, plus where each came from."""
        space_model, space_temp = await self.spaces.get(ctx.space_id)
        cfg = self.settings.llm
        model, msrc = (
            (space_model, "space")
            if space_model
            else (persona.model, "persona")
            if persona.model
            else (cfg.model, "config")
        )
        temp, tsrc = (
            (space_temp, "space")
            if space_temp is not None
            else (persona.temperature, "persona")
            if persona.temperature is not None
            else (cfg.temperature, "config")
        )
        return model, temp, {"model": msrc, "temperature": tsrc}

    async def check(self, model: str) -> None:
        """Refuse a model string litellm cannot route."""
        problem = await self.llm.validate_model(model)
        if problem:
            raise BadInput(problem)
