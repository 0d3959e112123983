"""Persona rules: who sees which persona, name resolution, ownership and preset rights."""

from __future__ import annotations

import logging
from typing import Any

from bot.config import Settings
from bot.context import Context
from bot.errors import BadInput, BotError, Conflict, PermissionDenied, PersonaNotFound
from bot.pictures import Pictures
from personas.card_persona import handle as card_handle
from personas.card_persona import persona_values
from personas.cards import Card, CardLimits
from personas.catalog import Template, apply_template, load_presets
from personas.model import Persona, validate_fields, validate_name
from personas.pictures import Picture
from personas.traits import format_traits, merge_traits
from storage.persona_versions import FIELDS as VERSIONED
from storage.persona_versions import VersionRecord
from storage.personas import PersonaRepo

log = logging.getLogger(__name__)


def _display(name: str) -> str:
    name = name.strip()
    return name[:1].upper() + name[1:]


class PersonaService:
    """Reads and changes personas on behalf of a Context, enforcing every rule."""

    def __init__(
        self,
        repo: PersonaRepo,
        settings: Settings,
        templates: dict[str, Template],
        pictures: Pictures,
    ) -> None:
        self.repo = repo
        self.pictures = pictures
        self.settings = settings
        self.templates = templates

    async def sync_presets(self) -> int:
        """Insert shipped presets that are missing; returns how many were added."""
        added = 0
        for preset in load_presets(self.settings.personas.presets_dir):
            values = apply_template(dict(preset), self.templates)
            values["name"] = values["name"].lower()
            added += await self.repo.ensure_shipped(values)
        return added

    def usable(self, ctx: Context, p: Persona) -> bool:
        """May this user talk to `p` here?"""
        return p.status == "active" and self.visible(ctx, p)

    def visible(self, ctx: Context, p: Persona) -> bool:
        """Could this user see `p` here, were it not retired?"""
        if p.is_preset:
            return p.enabled and p.space_id in (None, ctx.space_id)
        return p.owner_id == ctx.user_id or (
            p.visibility == "public" and p.space_id == ctx.space_id
        )

    async def find(self, ctx: Context, name: str, *, retired: bool = False) -> Persona:
        """Resolve a name: own personas, then this space's presets, global ones, shared ones.

        Retired personas are found only when `retired` (to unretire them); otherwise naming
        one says that it has retired.
        """
        handle = name.strip().lower()
        candidates = list(
            await self.repo.in_scopes((ctx.user_scope, ctx.space_scope, "global"), handle)
        )
        # Oldest first: names shared here are unique now, but older data may repeat one.
        candidates += sorted(
            (p for p in await self.repo.visible(ctx.user_id, ctx.space_id) if p.name == handle),
            key=lambda p: p.id,
        )
        for found in candidates:
            if self.usable(ctx, found):
                return found
        gone = [p for p in candidates if p.status == "retired" and self.visible(ctx, p)]
        if gone and retired:
            return gone[0]
        if gone:
            raise PersonaNotFound(f"'{handle}' has retired and can't be used any more")
        raise PersonaNotFound(f"no persona named '{handle}' here — /persona list shows yours")

    async def listing(self, ctx: Context) -> list[Persona]:
        """Everything usable here, presets first."""
        return [
            p for p in await self.repo.visible(ctx.user_id, ctx.space_id) if self.usable(ctx, p)
        ]

    async def default(self, ctx: Context) -> Persona:
        """The configured default preset, or any enabled preset if that one is off (cached
        until a persona changes)."""
        return await self.repo.cached(
            ("default", ctx.user_id, ctx.space_id), lambda: self._default(ctx)
        )

    async def _default(self, ctx: Context) -> Persona:
        try:
            return await self.find(ctx, self.settings.personas.default)
        except PersonaNotFound:
            presets = [p for p in await self.repo.presets(ctx.space_id) if self.usable(ctx, p)]
            if not presets:
                raise BotError(
                    "no persona is available here — ask an admin to enable a preset"
                ) from None
            return presets[0]

    async def chosen(self, ctx: Context) -> Persona:
        """The persona this user talks to in this space (the default if none or gone), from
        the turn's read cache: its usage counters may lag."""
        return await self.pick_active(ctx, await self.repo.active(ctx.user_id, ctx.space_id))

    async def active(self, ctx: Context) -> Persona:
        """The same persona for commands, its usage counters read fresh."""
        chosen = await self.chosen(ctx)
        return await self.repo.get(chosen.id) or chosen

    async def pick_active(self, ctx: Context, stored: Persona | None) -> Persona:
        """The stored choice if this user may still use it here, else the default."""
        if stored is not None and self.usable(ctx, stored):
            return stored
        return await self.default(ctx)

    async def switch(self, ctx: Context, name: str) -> Persona:
        """Make `name` the active persona for this user here."""
        persona = await self.find(ctx, name)
        await self.repo.set_active(ctx.user_id, ctx.space_id, persona.id)
        return persona

    def fields(self, options: dict[str, Any]) -> dict[str, Any]:
        """Validated field values (a template fills in what it sets)."""
        values = validate_fields(options, self.settings.limits)
        return apply_template(values, self.templates) if "template" in values else values

    async def _check_free(self, ctx: Context, handle: str, scope: str) -> None:
        for other in (scope, ctx.space_scope, "global"):
            clash = await self.repo.by_scope(other, handle)
            if clash is not None and (other == scope or clash.is_preset):
                where = "you already have one" if other == ctx.user_scope else "a preset has it"
                raise Conflict(f"the name '{handle}' is taken ({where}) — pick another name")

    async def _check_unambiguous(
        self, ctx: Context, handle: str, display: str, public: bool, itself: int = 0
    ) -> None:
        """A handle everyone here can use names one persona, and no one's own persona poses
        as a preset."""
        others = [p for p in await self.repo.visible(ctx.user_id, ctx.space_id) if p.id != itself]
        if public:
            shared = [p for p in await self.repo.public_here(ctx.space_id) if p.id != itself]
            if any(p.name == handle for p in shared):
                raise Conflict(
                    f"someone already shares a persona named '{handle}' here — pick another name"
                )
        if display and any(
            p.is_preset and p.display_name.lower() == display.lower() for p in others
        ):
            raise Conflict(
                f"'{display}' is the display name of a preset here — pick another, so no one "
                "mistakes your persona for it"
            )

    async def create(self, ctx: Context, name: str, options: dict[str, Any]) -> Persona:
        """Create a custom persona owned by this user."""
        handle = validate_name(name, self.settings.limits)
        values = self.fields(options)
        limit = self.settings.limits.personas_per_user
        if await self.repo.count_owned(ctx.user_id) >= limit:
            raise Conflict(f"you already own {limit} personas (limits.personas_per_user)")
        await self._check_free(ctx, handle, ctx.user_scope)
        values.setdefault("display_name", _display(name))
        public = values.get("visibility") == "public"
        await self._check_unambiguous(ctx, handle, values["display_name"], public)
        values.update(name=handle, owner_id=ctx.user_id, space_id=ctx.space_id, source="user")
        return await self.repo.create(ctx.user_scope, values, ctx.user_id)

    def card_limits(self) -> CardLimits:
        """How big an imported card may be."""
        limits = self.settings.limits
        return CardLimits(limits.card_bytes, limits.card_field, limits.lore_entries)

    async def import_card(
        self,
        ctx: Context,
        card: Card,
        name: str | None,
        replace: bool,
        picture: Picture | None = None,
    ) -> tuple[Persona, bool]:
        """A persona of this user's from a card (with its picture as the avatar, if it brought
        one): new, or (with `replace`) over their own persona of that name. Returns it and
        whether it replaced one."""
        limits = self.settings.limits
        handle = validate_name(name or card_handle(card.name, limits.name), limits)
        values = persona_values(card, limits.display_name, limits.bio)
        mine = await self.repo.by_scope(ctx.user_scope, handle)
        if mine is not None:
            if not replace:
                raise Conflict(
                    f"you already have a persona named '{handle}' — import it under another "
                    f"name (name=…) or replace yours (replace=yes)"
                )
            await self._check_unambiguous(ctx, handle, values["display_name"], False, mine.id)
            values.update(await self._avatar(picture))
            replaced = await self.repo.update(mine.id, values, ctx.user_id, "imported over it")
            return replaced, True
        return await self.create_from(ctx, handle, values, picture), False

    async def _avatar(self, picture: Picture | None) -> dict[str, Any]:
        """Store a checked picture (once every rule has passed) as the avatar's values."""
        if picture is None:
            return {}
        return {"avatar_image": await self.pictures.store(picture), "avatar_url": ""}

    async def create_from(
        self, ctx: Context, handle: str, values: dict[str, Any], picture: Picture | None = None
    ) -> Persona:
        """A new persona of this user's from already-valid values."""
        limit = self.settings.limits.personas_per_user
        if await self.repo.count_owned(ctx.user_id) >= limit:
            raise Conflict(f"you already own {limit} personas (limits.personas_per_user)")
        await self._check_free(ctx, handle, ctx.user_scope)
        await self._check_unambiguous(ctx, handle, values["display_name"], False)
        values = {**values, **await self._avatar(picture)}
        values = {**values, "name": handle, "owner_id": ctx.user_id, "space_id": ctx.space_id}
        made = {**values, "source": "user"}
        return await self.repo.create(ctx.user_scope, made, ctx.user_id, "imported from a card")

    async def edit(
        self, ctx: Context, p: Persona, options: dict[str, Any], picture: Picture | None = None
    ) -> Persona:
        """Change fields of a persona (the dispatcher checked it is the caller's); traits are
        merged into the ones it has (see merge_traits). One avatar at a time: a new picture
        drops the avatar URL, a new URL (or an empty one) drops the picture."""
        values = self.fields(self._merged(p, options))
        if picture is not None and values.get("avatar_url"):
            raise BadInput("give an avatar image or an avatar URL, not both")
        if "avatar_url" in values:
            values["avatar_image"] = ""
        if values.get("visibility") == "public" and p.moderated:
            raise PermissionDenied(
                f"'{p.name}' was taken down by {p.taken_down_by}: {p.moderation_reason} — it "
                "can't be shared again unless they restore it"
            )
        if values.get("visibility") == "public":
            values["space_id"] = ctx.space_id  # shared where the owner said so
        becomes_public = values.get("visibility") == "public" and p.visibility != "public"
        display = values.get("display_name", "")
        await self._check_unambiguous(ctx, p.name, display, becomes_public, itself=p.id)
        values.update(await self._avatar(picture))
        return await self.repo.update(p.id, values, ctx.user_id)

    def _merged(self, p: Persona, options: dict[str, Any]) -> dict[str, Any]:
        """Options with traits merged into the persona's own."""
        if "traits" not in options:
            return options
        big, custom = merge_traits(p.traits, p.custom_traits, str(options["traits"]))
        return {**options, "traits": format_traits(big, custom)}

    async def update(
        self, p: Persona, values: dict[str, Any], by: int | None = None, note: str = ""
    ) -> Persona:
        """Store already-valid field values (knowledge, voice, plans, enabled); `by`: the
        user who made the change, for its version."""
        return await self.repo.update(p.id, values, by, note)

    @staticmethod
    def greetings(p: Persona) -> list[str]:
        """Its greetings: the first message, then a card's alternates."""
        alternates = p.card.get("alternate_greetings") or []
        found = [p.greeting, *[str(g) for g in alternates if isinstance(g, str)]]
        return [g for g in found if g.strip()]

    async def history(self, p: Persona) -> list[VersionRecord]:
        """Every version of this persona, newest first."""
        return await self.repo.versions.all(p.id)

    async def version(self, p: Persona, n: int) -> VersionRecord:
        """Version `n` of this persona (BadInput naming the range when there is none)."""
        found = await self.repo.versions.get(p.id, n)
        if found is None:
            newest = len(await self.history(p))
            raise BadInput(f"{p.display_name} has versions 1-{newest}, not {n}")
        return found

    async def rollback(self, p: Persona, n: int, by: int) -> Persona:
        """Make version `n`'s fields the persona's again (itself a new version)."""
        old = await self.version(p, n)
        values = {f: old.fields[f] for f in VERSIONED if f in old.fields}
        if "domains" in values:
            values["domains"] = list(values["domains"] or [])
        return await self.repo.update(p.id, values, by, f"rolled back to v{n}")

    async def delete(self, p: Persona) -> None:
        """The persona and everything keyed by it."""
        await self.repo.delete(p.id)

    async def get(self, persona_id: int) -> Persona | None:
        """A persona by id, whatever its state."""
        return await self.repo.get(persona_id)

    async def presets(self, space_id: int) -> list[Persona]:
        """Every preset visible in a space, enabled or not."""
        return list(await self.repo.presets(space_id))

    # Presets -----------------------------------------------------------------------------

    async def preset(self, ctx: Context, name: str) -> Persona:
        """A preset visible here (this space's first), enabled or not."""
        handle = name.strip().lower()
        for scope in (ctx.space_scope, "global"):
            found = await self.repo.by_scope(scope, handle)
            if found is not None and found.is_preset:
                return found
        raise PersonaNotFound(f"no preset named '{handle}' here — /preset list shows them")

    async def add_preset(
        self, ctx: Context, name: str, options: dict[str, Any], global_: bool
    ) -> Persona:
        """Create a preset for this space (or everywhere; the dispatcher checked the rights)."""
        handle = validate_name(name, self.settings.limits)
        values = self.fields(options)
        scope = "global" if global_ else ctx.space_scope
        await self._check_free(ctx, handle, scope)
        values.setdefault("display_name", _display(name))
        values.update(
            name=handle,
            is_preset=True,
            source="admin",
            visibility="public",
            space_id=None if global_ else ctx.space_id,
        )
        return await self.repo.create(scope, values)

    async def edit_preset(
        self, preset: Persona, options: dict[str, Any], by: int | None = None
    ) -> Persona:
        """Change a preset's fields (the dispatcher checked the admin right)."""
        values = self.fields(self._merged(preset, options))
        values.pop("visibility", None)
        return await self.repo.update(preset.id, values, by)
