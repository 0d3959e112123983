"""Buttons for confirmations and reply versions, and modals (forms) for long text."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from bot.confirm import TTL_S
from bot.messages import Confirm, Greetings, Reply, Versions

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


def _grey(label: str, custom_id: str, counter: bool) -> discord.ui.Button[Any]:
    """A plain button of a persistent ◀ n/N ▶ row; the counter only shows."""
    return discord.ui.Button(
        label=label,
        style=discord.ButtonStyle.secondary,
        custom_id=custom_id,
        disabled=counter,
    )


class VersionButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(r"pb:rv:(?P<reply>\d{1,12}):(?P<user>\d{1,20}):(?P<action>[rpnc])"),
):
    """🔄 ◀ ▶ under a persona's reply. The button names the reply and the user it answered,
    so it works after a restart; the core checks both again on every press."""

    def __init__(self, reply_id: int, user_id: int, action: str, label: str = "") -> None:
        super().__init__(
            _grey(label or action, f"pb:rv:{reply_id}:{user_id}:{action}", action == "c")
        )
        self.reply_id, self.user_id, self.action = reply_id, user_id, action

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> VersionButton:
        """The pressed button, rebuilt from its custom id."""
        return cls(int(match["reply"]), int(match["user"]), match["action"], item.label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the adapter's chat part."""
        adapter = getattr(interaction.client, "adapter", None)
        if adapter is not None:
            await adapter.chat.on_versions(interaction, self.reply_id, self.user_id, self.action)


def versions_view(v: Versions, user_id: int) -> discord.ui.View:
    """◀ n/N ▶ when the reply has versions, and 🔄 to make another."""
    view = discord.ui.View(timeout=None)
    if v.total > 1:
        view.add_item(VersionButton(v.reply_id, user_id, "p", "◀"))
        view.add_item(VersionButton(v.reply_id, user_id, "c", f"{v.shown}/{v.total}"))
        view.add_item(VersionButton(v.reply_id, user_id, "n", "▶"))
    view.add_item(VersionButton(v.reply_id, user_id, "r", "🔄"))
    return view


class GreetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(
        r"pb:gr:(?P<persona>\d{1,12}):(?P<user>\d{1,20}):(?P<n>\d{1,4}):(?P<k>[pcn])"
    ),
):
    """◀ n/N ▶ under a greeting with alternates; the button names the persona, the user it
    greeted and the greeting it shows."""

    def __init__(self, persona_id: int, user_id: int, n: int, kind: str, label: str) -> None:
        super().__init__(_grey(label, f"pb:gr:{persona_id}:{user_id}:{n}:{kind}", kind == "c"))
        self.persona_id, self.user_id, self.n = persona_id, user_id, n

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> GreetButton:
        """The pressed button, rebuilt from its custom id."""
        return cls(
            int(match["persona"]),
            int(match["user"]),
            int(match["n"]),
            match["k"],
            item.label or "",
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the adapter's chat part."""
        adapter = getattr(interaction.client, "adapter", None)
        if adapter is not None:
            await adapter.chat.on_greeting(interaction, self.persona_id, self.user_id, self.n)


def greetings_view(g: Greetings, user_id: int) -> discord.ui.View:
    """◀ n/N ▶ under a greeting (wrapping around)."""
    view = discord.ui.View(timeout=None)
    view.add_item(GreetButton(g.persona_id, user_id, (g.shown - 2) % g.total + 1, "p", "◀"))
    view.add_item(GreetButton(g.persona_id, user_id, g.shown, "c", f"{g.shown}/{g.total}"))
    view.add_item(GreetButton(g.persona_id, user_id, g.shown % g.total + 1, "n", "▶"))
    return view


class StopButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=re.compile(r"pb:st:(?P<user>\d{1,20})"),
):
    """⏹ under a reply while it is written, for the user it answers."""

    def __init__(self, user_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="⏹ Stop",
                style=discord.ButtonStyle.secondary,
                custom_id=f"pb:st:{user_id}",
            )
        )
        self.user_id = user_id

    @classmethod
    async def from_custom_id(  # type: ignore[override]
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Button[Any],
        match: re.Match[str],
    ) -> StopButton:
        """The pressed button, rebuilt from its custom id."""
        return cls(int(match["user"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Hand the press to the adapter's chat part."""
        adapter = getattr(interaction.client, "adapter", None)
        if adapter is not None:
            await adapter.chat.on_stop(interaction, self.user_id)


def stop_view(user_id: int) -> discord.ui.View:
    """⏹ while a reply is written."""
    view = discord.ui.View(timeout=None)
    view.add_item(StopButton(user_id))
    return view
