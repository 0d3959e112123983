"""Slash commands at run time: options → CommandCall, forms for long text, replies rendered."""

from __future__ import annotations

import asyncio
import logging
import traceback
from typing import Any

import discord
from discord import app_commands

from adapters.discord.identity import who_of_interaction
from adapters.discord.send import LIMIT, NO_MENTIONS, files_of
from adapters.discord.views import ConfirmView, Form, greetings_view
from bot.commands.spec import CommandSpec
from bot.core import Core
from bot.dispatch import OOPS
from bot.messages import Attachment, CommandCall, Reply
from bot.split import split_text

log = logging.getLogger(__name__)

ANSWER_WITHIN_S = 2.0  # Discord drops an interaction not answered within 3 s: defer before


async def download(attachment: discord.Attachment) -> Attachment:
    """An uploaded file's bytes (Discord caps uploads at 10-500 MB by the server's tier)."""
    data = await attachment.read()
    return Attachment(attachment.filename, attachment.content_type or "", data, attachment.url)


def render_text(reply: Reply) -> str:
    """Text of a reply for an interaction response: errors marked, persona speech headed."""
    if reply.error:
        return f"⚠️ {reply.text}"
    if reply.persona is not None:
        return f"**{discord.utils.escape_markdown(reply.persona.display_name)}**\n{reply.text}"
    return reply.text


class Slash:
    """Runs slash commands, forms and buttons against the core; one error edge for them."""

    def __init__(self, core: Core) -> None:
        self.core = core

    async def complete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Persona names this user may use here, for autocomplete."""
        looks = await self.core.persona_choices(who_of_interaction(interaction), current)
        return [
            app_commands.Choice(name=f"{lk.display_name} ({lk.name})"[:100], value=lk.name)
            for lk in looks
        ]

    async def run(
        self, interaction: discord.Interaction, spec: CommandSpec, args: dict[str, Any]
    ) -> None:
        """A slash command was used: open its form, or run it and answer."""
        who = who_of_interaction(interaction)
        uploads = [v for v in args.values() if isinstance(v, discord.Attachment)]
        for upload in uploads:  # Discord declares the size: refuse before downloading
            refused = self.core.too_big(upload.filename, upload.size)
            if refused:
                await self.respond(interaction, Reply(refused, error=True, ephemeral=True))
                return
        files = tuple([await download(v) for v in uploads])
        args = {k: v for k, v in args.items() if not isinstance(v, discord.Attachment)}
        call = CommandCall(who, spec.path, args, files)
        if self.core.wants_form(call):
            await self.open_form(interaction, call)
            return
        await self.execute(interaction, call)

    async def open_form(self, interaction: discord.Interaction, call: CommandCall) -> None:
        """The command's declared form as a modal; submitting it runs the command."""
        reply = await self.core.open_form(call)
        if reply.form is None:  # refused before the form opened
            await self.respond(interaction, reply)
            return
        request = reply.form

        async def submit(modal_interaction: discord.Interaction, values: dict[str, str]) -> None:
            merged = {**call.args, **values}
            await self.execute(
                modal_interaction, CommandCall(call.who, request.path, merged, call.attachments)
            )

        fields = [(name, hint) for name, hint, _ in request.fields]
        prefill = {name: value for name, _, value in request.fields}
        await interaction.response.send_modal(
            Form(request.title, fields, prefill, submit, self.on_error)
        )

    async def execute(self, interaction: discord.Interaction, call: CommandCall) -> None:
        """Run a command; defer (privately) if the core takes longer than Discord waits.
        Long work's progress edits the deferred response, one message kept up to date."""
        deferring = asyncio.Lock()

        async def defer() -> None:
            async with deferring:  # the progress and the wait below may both want to
                if not interaction.response.is_done():
                    await interaction.response.defer(ephemeral=True, thinking=True)

        async def progress(text: str) -> None:
            await defer()
            await interaction.edit_original_response(content=text[:LIMIT])

        task = asyncio.ensure_future(self.core.command(call, progress))
        done, _ = await asyncio.wait({task}, timeout=ANSWER_WITHIN_S)
        if not done:
            await defer()
        await self.respond(interaction, await task)

    async def respond(self, interaction: discord.Interaction, reply: Reply) -> None:
        """Answer an interaction: ephemeral where private, split at 2,000 characters."""
        pieces = split_text(render_text(reply), LIMIT) or ["…"]
        files = files_of(reply.attachments)
        view: discord.ui.View | None = None
        if reply.confirm is not None:
            confirm = ConfirmView(reply.confirm, interaction.user.id, self.answer, self.on_error)
            confirm.interaction = interaction
            view = confirm
        elif reply.greetings is not None and not reply.error:
            view = greetings_view(reply.greetings, interaction.user.id)
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            extra: dict[str, Any] = {}
            if last and view is not None:
                extra["view"] = view
            if last and files:
                extra["files"] = files
            if i == 0 and not interaction.response.is_done():
                await interaction.response.send_message(
                    piece, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS, **extra
                )
            else:
                # After a private defer the first follow-up is private too, whatever we ask.
                await interaction.followup.send(
                    piece, ephemeral=reply.ephemeral, allowed_mentions=NO_MENTIONS, **extra
                )

    async def answer(self, interaction: discord.Interaction, token: str, accept: bool) -> Reply:
        """A confirmation button was pressed (the core checks it is the asker's)."""
        return await self.core.confirm(token, who_of_interaction(interaction), accept)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        """A fault of this adapter (the core answers its own): log with the trace, answer."""
        original = getattr(error, "original", error)
        log.error(
            "discord interaction failed: %s\n%s",
            type(original).__name__,
            "".join(traceback.format_exception(original)),
        )
        await self._answer_quietly(interaction, Reply(OOPS, error=True, ephemeral=True))

    async def _answer_quietly(self, interaction: discord.Interaction, reply: Reply) -> None:
        try:
            if interaction.response.is_done():
                await interaction.followup.send(render_text(reply), ephemeral=True)
            else:
                await interaction.response.send_message(render_text(reply), ephemeral=True)
        except discord.HTTPException:
            log.warning("could not tell the user about the failure")
