"""Moderation of shared personas: users report them, a place's admins (or the bot's, from
anywhere) take them down with a reason their owner is told, and restore them."""

from __future__ import annotations

import logging

from bot.context import Context
from bot.errors import BadInput, PermissionDenied, PersonaNotFound
from bot.outbox import Outbox
from bot.persona_service import PersonaService
from personas.model import Persona
from storage.identities import Identities
from storage.moderation import ModerationRepo

log = logging.getLogger(__name__)

REASON_CHARS = 500
BY = {"space": "the admins of the place where you shared it", "bot": "the bot's admins"}


class Moderation:
    """Reports, takedowns and restores; the owner hears of each by direct message."""

    def __init__(
        self,
        repo: ModerationRepo,
        personas: PersonaService,
        identities: Identities,
        outbox: Outbox,
    ) -> None:
        self.repo = repo
        self.personas = personas
        self.identities = identities
        self.outbox = outbox

    async def report(self, ctx: Context, name: str, reason: str) -> Persona:
        """File a user's report of a persona they can see here and do not own."""
        p = await self.personas.find(ctx, name)
        if p.is_preset:
            raise BadInput("presets are chosen by this place's admins: tell them directly")
        if p.owner_id == ctx.user_id:
            raise BadInput(f"'{p.name}' is yours: /persona edit or /persona delete it")
        if not await self.repo.report(p.id, ctx.user_id, p.space_id or ctx.space_id, reason):
            raise BadInput(f"you have reported '{p.name}' already; the admins will see it")
        return p

    async def resolve(self, ctx: Context, ref: str) -> Persona:
        """The persona an admin names: `#id` (as /reports shows it), or a name shared here."""
        ref = ref.strip()
        if ref.startswith("#") and ref[1:].isdigit():
            found = await self.personas.get(int(ref[1:]))
            if found is None:
                raise PersonaNotFound(f"no persona {ref}")
        else:
            found = await self._shared_here(ctx, ref.lower())
        if found.is_preset:
            raise BadInput(f"'{found.name}' is a preset: /preset disable it instead")
        shared_here = found.space_id == ctx.space_id and (
            found.visibility == "public" or found.moderated
        )
        if not ctx.bot_admin and not shared_here:
            raise PermissionDenied(
                f"'{found.name}' isn't shared here: only bot admins act on personas elsewhere"
            )
        return found

    async def _shared_here(self, ctx: Context, name: str) -> Persona:
        for pid, handle, _, _ in await self.repo.taken_down(ctx.space_id):
            if handle == name:
                return await self.personas.get(pid) or await self.personas.find(ctx, name)
        return await self.personas.find(ctx, name)

    async def take_down(self, ctx: Context, p: Persona, reason: str) -> int:
        """Unshare it, locked until restored; its open reports are closed. How many."""
        if p.moderated:
            raise BadInput(f"'{p.name}' is taken down already: {p.moderation_reason}")
        if p.visibility != "public":
            raise BadInput(f"'{p.name}' isn't shared: there is nothing to take down")
        level = "bot" if ctx.bot_admin else "space"
        values = {"visibility": "private", "moderated": level, "moderation_reason": reason}
        await self.personas.update(p, values, ctx.user_id, "taken down by moderation")
        closed = await self.repo.close(p.id, "acted")
        await self._tell(
            p,
            f"Your persona '{p.name}' was taken down by {BY[level]}: {reason}\n"
            "It is still yours, private; it can't be shared again unless they restore it.",
        )
        return closed

    async def restore(self, ctx: Context, p: Persona) -> None:
        """Lift a takedown (bot admins' ones: by bot admins only); it stays private."""
        if not p.moderated:
            raise BadInput(f"'{p.name}' wasn't taken down")
        if p.moderated == "bot" and not ctx.bot_admin:
            raise PermissionDenied(
                f"the bot's admins took '{p.name}' down; only they can restore it"
            )
        values = {"moderated": "", "moderation_reason": ""}
        await self.personas.update(p, values, ctx.user_id, "restored by moderation")
        await self._tell(p, f"Your persona '{p.name}' was restored: you may share it again.")

    async def _tell(self, p: Persona, text: str) -> None:
        address = await self.identities.address(p.owner_id) if p.owner_id else None
        if address is None or not await self.outbox.send(*address, text):
            log.info("the owner of persona %d could not be told of its moderation", p.id)
