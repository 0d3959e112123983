"""Buttons for confirmations and modals (forms) for long text."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import discord

from bot.confirm import TTL_S
from bot.messages import Confirm, Reply

log = logging.getLogger(__name__)

Answer = Callable[[discord.Interaction, str, bool], Awaitable[Reply]]
Submit = Callable[[discord.Interaction, dict[str, str]], Awaitable[None]]

FIELD_MAX = 4000  # Discord's most characters in one text input


class ConfirmView(discord.ui.View):
    """Yes / No buttons that only the asking user can press; they expire with the question."""

    def __init__(
        self,
        confirm: Confirm,
        asker_id: int,
        answer: Answer,
        on_fail: Callable[[discord.Interaction, Exception], Awaitable[None]],
    ) -> None:
        super().__init__(timeout=TTL_S)
        self.on_fail = on_fail
        self.confirm = confirm
        self.asker_id = asker_id
        self.answer = answer
        self.message: discord.Message | None = None
        self.interaction: discord.Interaction | None = None  # when it answers a slash command

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        """Refuse presses by anyone but the asker, privately."""
        if interaction.user.id == self.asker_id:
            return True
        await interaction.response.send_message(
            "Only the person who asked can answer this.", ephemeral=True
        )
        return False

    async def _press(self, interaction: discord.Interaction, accept: bool) -> None:
        reply = await self.answer(interaction, self.confirm.token, accept)
        self.stop()
        text = reply.text if not reply.error else f"⚠️ {reply.text}"
        await interaction.response.edit_message(content=text, view=None)

    @discord.ui.button(label="Yes", style=discord.ButtonStyle.danger)
    async def yes(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]):
        """Accept."""
        await self._press(interaction, True)

    @discord.ui.button(label="No", style=discord.ButtonStyle.secondary)
    async def no(self, interaction: discord.Interaction, button: discord.ui.Button[ConfirmView]):
        """Decline."""
        await self._press(interaction, False)

    async def on_error(
        self,
        interaction: discord.Interaction,
        error: Exception,
        item: discord.ui.Item[ConfirmView],
    ) -> None:
        """Route failures to the adapter's one error handler."""
        await self.on_fail(interaction, error)

    async def on_timeout(self) -> None:
        """Grey the buttons out: the question has expired."""
        content = f"{self.confirm.question}\n*(expired — nothing was changed)*"
        try:
            if self.interaction is not None:
                await self.interaction.edit_original_response(content=content, view=None)
            elif self.message is not None:
                await self.message.edit(content=content, view=None)
        except discord.HTTPException:
            pass  # the message may be gone; nothing to tidy


class Form(discord.ui.Modal):
    """A modal with one paragraph field per long option of a command."""

    def __init__(
        self,
        title: str,
        fields: list[tuple[str, str]],
        prefill: dict[str, str],
        submit: Submit,
        on_fail: Callable[[discord.Interaction, Exception], Awaitable[None]],
    ) -> None:
        super().__init__(title=title[:45], timeout=900)
        self.submit = submit
        self.on_fail = on_fail
        self.prefill = prefill
        self.inputs: dict[str, discord.ui.TextInput[Form]] = {}
        for name, help_ in fields[:5]:  # Discord allows five inputs per modal
            field: discord.ui.TextInput[Form] = discord.ui.TextInput(
                label=name.capitalize()[:45],
                placeholder=help_[:100],
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=FIELD_MAX,
                default=prefill.get(name, "")[:FIELD_MAX] or None,
            )
            self.inputs[name] = field
            self.add_item(field)

    def values(self) -> dict[str, str]:
        """What the user changed (a new persona: everything filled in)."""
        out = {}
        for name, field in self.inputs.items():
            value = field.value.strip()
            if value != self.prefill.get(name, "").strip():
                out[name] = value
        return out

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Run the command with the form's values."""
        await self.submit(interaction, self.values())

    async def on_error(  # type: ignore[override]
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        """Route failures to the adapter's one error handler."""
        await self.on_fail(interaction, error)
