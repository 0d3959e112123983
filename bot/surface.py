"""What adapters ask the core besides turns and commands: pickers, forms, chat channels."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.parse import find_command, parse, split
from bot.commands.spec import REGISTRY
from bot.dispatch import guard
from bot.errors import BadInput, BotError
from bot.messages import CommandCall, FormRequest, Look, Reply, Who
from personas.model import OPTION_FIELDS, Persona, validate_name

if TYPE_CHECKING:
    from bot.channels import ChatChannels
    from bot.commands.spec import CommandSpec
    from bot.config import Settings
    from bot.context import Context
    from bot.dispatch import Dispatcher
    from bot.persona_service import PersonaService
    from bot.pictures import Pictures


def _declared(line: str) -> CommandSpec | None:
    """The command a text line names, or None if it names none (running it explains why)."""
    try:
        return find_command(split(line), REGISTRY)[0]
    except (BadInput, IndexError):
        return None


def look(p: Persona) -> Look:
    """How a persona presents itself in a Reply."""
    return Look(p.name, p.display_name, p.avatar_url, p.avatar_image)


class SurfaceQueries:
    """Mixed into Core: read-mostly helpers for menus, autocomplete, forms and trigger rules."""

    settings: Settings
    personas: PersonaService
    pictures: Pictures
    channels: ChatChannels
    dispatch: Dispatcher
    commands: dict[tuple[str, ...], CommandSpec]

    async def context(self, who: Who) -> Context:
        """Resolve platform identity to ids (Core provides it)."""
        raise NotImplementedError

    def command_list(self) -> list[CommandSpec]:
        """Declared commands (Core provides it)."""
        raise NotImplementedError

    async def chat_channels(self, space_id: int) -> set[str]:
        """Chat channels of a space."""
        return await self.channels.of_space(space_id)

    async def is_chat_channel(self, who: Who) -> bool:
        """Should every message in who.channel_ref be answered?"""
        ctx = await self.context(who)
        return await self.channels.has(ctx.space_id, who.channel_ref)

    async def persona_choices(self, who: Who, typed: str = "", limit: int = 25) -> list[Look]:
        """Personas this user may talk to here whose name starts with (else contains) `typed`."""
        ctx = await self.context(who)
        typed = typed.strip().lower()
        found = await self.personas.listing(ctx)
        first = [p for p in found if p.name.startswith(typed)]
        rest = [p for p in found if typed in p.name and p not in first]
        return [look(p) for p in (first + rest)[:limit]]

    def wants_form(self, call: CommandCall) -> bool:
        """Does this call open its declared form instead of running?"""
        spec = self.dispatch.commands.get(call.path)
        return bool(spec and spec.form and spec.form.opens(spec, call.args))

    async def open_form(self, call: CommandCall) -> Reply:
        """The declared form of a command, checked and pre-filled — or why it can't open."""
        return await guard(self._open_form(call), f"the form of /{' '.join(call.path)}")

    async def _open_form(self, call: CommandCall) -> Reply:
        spec = self.dispatch.spec(call.path)
        assert spec.form is not None
        ctx = await self.context(call.who)
        self.dispatch.check(spec, ctx, call.args)  # refused before anyone types a word
        target = await self.dispatch.target(spec, ctx, call.args)
        values: dict[str, Any] = {}
        if spec.form.prefill == "fields" and target is not None:
            values = {k: getattr(target, OPTION_FIELDS[k]) for k in spec.form.fields}
        elif spec.form.prefill == "knowledge" and target is not None:
            values = {spec.form.fields[0]: target.knowledge}
        helps = {p.name: p.help for p in spec.params}
        fields = tuple(
            (name, helps[name], "" if values.get(name) is None else str(values[name]))
            for name in spec.form.fields
        )
        title = f"{spec.name} {call.args.get('name', '')}".strip()
        return Reply(text=title, form=FormRequest(title, spec.path, fields), ephemeral=True)

    def bare_picker(self, line: str) -> tuple[tuple[str, ...], str, str] | None:
        """(path, parameter, question) when `line` is a command that declares a picker and
        gives nothing: surfaces with buttons offer the choice instead of an error."""
        spec = _declared(line)
        if spec is None:
            return None
        words = line.split()
        bare = len(words) == (1 if "_" in words[0] else len(spec.path))
        if spec.picker is None or not bare:
            return None
        return spec.path, spec.picker.param, spec.picker.question

    def wizard_for(self, line: str) -> CommandSpec | None:
        """The command whose declared wizard `line` starts (`/persona new`, `/persona_new`)."""
        words = line.strip().lower().split("@", 1)[0].lstrip("/").replace("_", " ").split()
        if len(words) != 2:
            return None
        for spec in self.commands.values():
            if spec.wizard is not None and (spec.path[0], spec.wizard.alias) == tuple(words):
                return spec
        return None

    def too_big(self, name: str, size: int) -> str | None:
        """Why a file of `size` bytes is refused before anyone downloads it, or None."""
        limit_mb = self.settings.voice.upload_mb
        if size > limit_mb * 1024 * 1024:
            return f"'{name}' is too big: {size / 1024 / 1024:.1f} MB (limit {limit_mb:g} MB)"
        return None

    def needs_rights(self, line: str) -> bool:
        """Does this command line run something beyond a user's rights? (Surfaces re-check a
        cached admin status for those, so a demoted admin loses them at once.)"""
        spec = _declared(line)
        return spec is not None and (spec.admin or spec.target is not None)

    def file_options(self, line: str) -> list[str]:
        """What a command line gives for its `file` options (paths, on the console); a line
        that does not parse gives none — running it explains the mistake."""
        if not line.lstrip().startswith("/"):
            return []
        try:
            spec, args = parse(line, REGISTRY)
        except BadInput:
            return []
        return [str(args[p.name]) for p in spec.params if p.type == "file" and p.name in args]

    def problem(self, option: str, value: str) -> str | None:
        """Why one persona option (or the name) would be refused, or None if it is fine."""
        try:
            if option == "name":
                validate_name(value, self.settings.limits)
            else:
                self.personas.fields({option: value})
        except BotError as err:
            return err.message
        return None

    async def avatar(self, picture_id: str, side: int = 256) -> bytes | None:
        """A persona's picture as a square PNG avatar (e.g. for a Discord webhook)."""
        return await self.pictures.avatar(picture_id, side)

    def template_choices(self) -> list[tuple[str, str]]:
        """Persona templates (name, description), for pickers like the Telegram wizard."""
        return [(t.name, t.description) for t in self.personas.templates.values()]
