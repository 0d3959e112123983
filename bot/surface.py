"""What adapters ask the core besides turns and commands: pickers, forms, chat channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.messages import Look, Who
from personas.model import OPTION_FIELDS, Persona, validate_name

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.context import Context
    from bot.persona_service import PersonaService
    from storage.channels import ChatChannelRepo


def look(p: Persona) -> Look:
    """How a persona presents itself in a Reply."""
    return Look(p.name, p.display_name, p.avatar_url)


class SurfaceQueries:
    """Mixed into Core: read-mostly helpers for menus, autocomplete and trigger rules."""

    settings: Settings
    personas: PersonaService
    channels: ChatChannelRepo
    _chat_channels: dict[int, set[str]]

    async def context(self, who: Who) -> Context:
        """Resolve platform identity to ids (Core provides it)."""
        raise NotImplementedError

    async def chat_channels(self, space_id: int) -> set[str]:
        """Chat channels of a space (cached; changed only through set_chat_channel)."""
        if space_id not in self._chat_channels:
            self._chat_channels[space_id] = await self.channels.of_space(space_id)
        return self._chat_channels[space_id]

    async def set_chat_channel(self, ctx: Context, channel_ref: str, on: bool) -> bool:
        """Mark or unmark a chat channel; returns whether it changed."""
        changed = await self.channels.set(ctx.space_id, channel_ref, on, ctx.user_id)
        self._chat_channels.pop(ctx.space_id, None)
        return changed

    async def is_chat_channel(self, who: Who) -> bool:
        """Should every message in who.channel_ref be answered?"""
        if not who.channel_ref:
            return False
        ctx = await self.context(who)
        return who.channel_ref in await self.chat_channels(ctx.space_id)

    async def persona_choices(self, who: Who, typed: str = "", limit: int = 25) -> list[Look]:
        """Personas this user may talk to here whose name starts with (else contains) `typed`."""
        ctx = await self.context(who)
        typed = typed.strip().lower()
        found = await self.personas.listing(ctx)
        first = [p for p in found if p.name.startswith(typed)]
        rest = [p for p in found if typed in p.name and p not in first]
        return [look(p) for p in (first + rest)[:limit]]

    async def persona_fields(self, who: Who, name: str, options: list[str]) -> dict[str, str]:
        """Current values of `options` for a form, if this user may edit the persona."""
        ctx = await self.context(who)
        p = self.personas.may_change(ctx, await self.personas.find(ctx, name), "change it")
        fields = {k: getattr(p, OPTION_FIELDS[k]) for k in options if k in OPTION_FIELDS}
        if "knowledge" in options:
            fields["knowledge"] = p.knowledge
        return {k: "" if v is None else str(v) for k, v in fields.items()}

    def check_option(self, option: str, value: str) -> None:
        """Raise BadInput if one persona option (or the name) would be refused."""
        if option == "name":
            validate_name(value, self.settings.limits)
        else:
            self.personas.fields({option: value})

    def template_choices(self) -> list[tuple[str, str]]:
        """Persona templates (name, description), for pickers like the Telegram wizard."""
        return [(t.name, t.description) for t in self.personas.templates.values()]
