"""Chat in servers and DMs: when to answer, and turning a message into a streamed turn."""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord.identity import strip_mention, who_of_interaction, who_of_message
from adapters.discord.send import LIMIT, NO_MENTIONS, Posted, Sender, files_of, name_header
from adapters.discord.slash import Slash, download, render_text
from adapters.discord.stream import Stream
from adapters.discord.views import ConfirmView, greetings_view, stop_view, versions_view
from adapters.private import answer_privately
from bot.core import Core
from bot.messages import Attachment, Incoming, Quoted, Reply, Who
from bot.split import split_text

log = logging.getLogger(__name__)

REMEMBERED = 10_000  # replies whose ❌ is honoured (the newest)


def quoted(message: discord.Message) -> Quoted | None:
    """The message this one replies to, as Discord resolved it (None: not a reply, or gone)."""
    ref = message.reference
    parent = ref.resolved if ref is not None else None
    if not isinstance(parent, discord.Message):
        return None
    return Quoted(parent.author.display_name, parent.content, str(parent.id))


class Chat:
    """Decides which messages are turns and delivers the persona's answer."""

    def __init__(
        self,
        client: discord.Client,
        core: Core,
        sender: Sender,
        slash: Slash,
        *,
        interval: float,
        threads: bool = False,
        reply_buttons: bool = True,
    ) -> None:
        self.client = client
        self.core = core
        self.sender = sender
        self.slash = slash
        self.interval = interval
        self.threads = threads
        self.reply_buttons = reply_buttons
        # (channel, user) → their latest message that became a turn: only it is re-answered
        # when edited (an edit of an older one changes nothing; after a restart, none does).
        self._latest: dict[tuple[int, int], int] = {}
        # message id → (the user it answered, the reply, how it was posted): ❌ deletes it.
        self._replies: dict[int, tuple[int, int, Posted]] = {}

    def addressed(self, message: discord.Message) -> bool:
        """Meant for the bot whatever the channel: a DM, a mention, a reply to it, its thread."""
        me = self.client.user
        if me is None:
            return False
        if message.guild is None or any(u.id == me.id for u in message.mentions):
            return True
        ref = message.reference
        resolved = ref.resolved if ref is not None else None
        if isinstance(resolved, discord.Message) and self.sender.is_ours(resolved):
            return True
        channel = message.channel
        return isinstance(channel, discord.Thread) and channel.owner_id == me.id

    async def on_message(self, message: discord.Message) -> None:
        """Every message the gateway delivers: answer it if it is meant for us — one user's
        messages in the order they arrived, each answered before the next is taken."""
        if message.author.bot or message.webhook_id is not None:
            # Other bots and webhooks: never ours; others only in a scene that allows them.
            allowed = self.core.settings.scene.allow_bots and not self.sender.is_ours(message)
            if not allowed or not await self.core.in_scene(who_of_message(message)):
                return
        async with self.core.in_order("discord", str(message.author.id)):
            await self._on_message(message)

    async def _on_message(self, message: discord.Message) -> None:
        if message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        who = who_of_message(message)
        channel = message.channel
        parent = channel.parent_id if isinstance(channel, discord.Thread) else None
        probe = Incoming(who, "", (), None, self.addressed(message), str(parent or ""))
        if not await self.core.answers(probe):  # chat channels: the core decides
            return
        me = self.client.user
        text = strip_mention(message.content, me.id if me else 0)
        files = tuple(
            [
                await download(a)
                # voice messages are transcribed; anything bigger than an upload may be is not
                if (a.content_type or "").startswith("audio/")
                and not self.core.too_big(a.filename, a.size)
                else Attachment(a.filename, a.content_type or "", url=a.url)
                for a in message.attachments
            ]
        )
        if not text and not files:
            return
        if text.startswith("/"):
            await self._command(message, who, text, files)
        else:
            await self._turn(message, who, text, files)

    async def _turn(
        self, message: discord.Message, who: Who, text: str, files: tuple[Attachment, ...]
    ) -> None:
        self._latest[(message.channel.id, message.author.id)] = message.id
        reply_to = str(message.reference.message_id) if message.reference else None
        incoming = Incoming(
            who, text, files, reply_to, message_ref=str(message.id), quoted=quoted(message)
        )
        look = await self.core.look_for(incoming)
        channel = await self._place(message, who, look.display_name, text)
        reference = message if channel is message.channel else None
        stop = stop_view(message.author.id) if self.reply_buttons else None
        stream = Stream(
            self.sender, channel, look, interval=self.interval, reference=reference, stop=stop
        )
        stream.start_typing()
        reply = await self.core.chat(incoming, stream.push, stream.working)
        posted = await stream.finish(reply, self._controls(reply, message.author.id))
        if posted and not reply.error:
            await self.core.delivered(reply.line_id, str(posted[0].message.id))
        await self._scene(who, channel, reply)
        if reply.versions is not None and not reply.error:
            self._remember(posted, message.author.id, reply.versions.reply_id)

    async def _scene(self, who: Who, channel: Any, reply: Reply) -> None:
        """In a scene, the personas still to speak, each posting as itself."""
        while reply.next is not None and not reply.error:
            stream = Stream(self.sender, channel, reply.next, interval=self.interval)
            stream.start_typing()
            follow = await self.core.scene_next(who, stream.push, stream.working)
            if follow is None:
                await stream.stop()
                return
            posted = await stream.finish(follow)
            if posted and not follow.error:
                await self.core.delivered(follow.line_id, str(posted[0].message.id))
            reply = follow

    def _remember(self, posted: list[Posted], user_id: int, reply_id: int) -> None:
        if len(self._replies) >= REMEMBERED:
            self._replies.pop(next(iter(self._replies)))  # the oldest: ❌ on it does nothing
        for p in posted:
            self._replies[p.message.id] = (user_id, reply_id, p)

    async def on_reaction(self, payload: discord.RawReactionActionEvent) -> None:
        """❌ by the user a persona's reply answered: the reply leaves the conversation (the
        model no longer reads it) and the channel."""
        if str(payload.emoji) != "❌" or payload.message_id not in self._replies:
            return
        user_id, reply_id, _ = self._replies[payload.message_id]
        if payload.user_id != user_id:
            return  # someone else's reaction: only the user it answered decides
        user = payload.member or await self.client.fetch_user(payload.user_id)
        who = Who(
            "discord",
            str(user_id),
            getattr(user, "display_name", "") or "",
            str(payload.guild_id) if payload.guild_id else f"dm:{user_id}",
            "group" if payload.guild_id else "dm",
        )
        if not await self.core.remove_reply(who, reply_id):
            return
        for *_, p in [v for v in self._replies.values() if v[1] == reply_id]:
            self._replies.pop(p.message.id, None)
            try:
                await self.sender.delete(p)
            except discord.HTTPException as exc:
                log.info("could not delete a removed reply: %s", exc.status)

    def _controls(self, reply: Reply, user_id: int) -> discord.ui.View | None:
        """The buttons under a persona's reply (regenerate, swipe) or greeting (◀ ▶)."""
        if reply.error or not self.reply_buttons:
            return None
        if reply.greetings is not None:
            return greetings_view(reply.greetings, user_id)
        if reply.versions is None:
            return None
        return versions_view(reply.versions, user_id)

    async def on_greeting(
        self, interaction: discord.Interaction, persona_id: int, user_id: int, n: int
    ) -> None:
        """◀ ▶ under a greeting: only the user it greeted; the message shows greeting n."""
        if interaction.user.id != user_id:
            await interaction.response.send_message(
                "Only the person it greeted can use these buttons.", ephemeral=True
            )
            return
        reply = await self.core.greeting(who_of_interaction(interaction), persona_id, n)
        await self._show(interaction, reply, user_id)

    async def on_edit(self, before: discord.Message, after: discord.Message) -> None:
        """The user edited their latest message: it is answered again (a new version of the
        reply), and the conversation carries the new text from now on."""
        if after.author.bot or before.content == after.content:
            return  # embeds unfurling, pins: not an edit of what was said
        if self._latest.get((after.channel.id, after.author.id)) != after.id:
            return
        me = self.client.user
        text = strip_mention(after.content, me.id if me else 0)
        who = who_of_message(after)
        async with self.core.in_order("discord", str(after.author.id)):
            reply = await self.core.edited(Incoming(who, text))
            if reply.error:
                await after.reply(f"⚠️ {reply.text}"[:LIMIT], mention_author=False)
                return
            await self.sender.post(
                after.channel,
                reply.persona,
                reply.text[:LIMIT],
                reference=after,
                controls=self._controls(reply, after.author.id),
            )

    async def on_stop(self, interaction: discord.Interaction, user_id: int) -> None:
        """⏹ under a reply being written: its user stops it; the stream shows where."""
        if interaction.user.id != user_id:
            await interaction.response.send_message(
                "Only the person this reply is for can stop it.", ephemeral=True
            )
            return
        if self.core.stop(who_of_interaction(interaction)):
            await interaction.response.defer()  # the reply's own last edit shows the stop
        else:
            await interaction.response.send_message("It has already finished.", ephemeral=True)

    async def on_versions(
        self, interaction: discord.Interaction, reply_id: int, user_id: int, action: str
    ) -> None:
        """🔄 ◀ ▶ under a reply: only its own user, only on the latest reply; the message
        shows the chosen version, with its buttons."""
        if interaction.user.id != user_id:
            await interaction.response.send_message(
                "Only the person this reply answered can use these buttons.", ephemeral=True
            )
            return
        who = who_of_interaction(interaction)
        if action == "r":  # a model call can outlast Discord's 3 s: acknowledge first
            await interaction.response.defer()
            reply = await self.core.regenerate(who, reply_id)
        else:
            reply = await self.core.swipe(who, reply_id, "prev" if action == "p" else "next")
        await self._show(interaction, reply, user_id)

    async def _show(self, interaction: discord.Interaction, reply: Reply, user_id: int) -> None:
        """A pressed button's answer: the message it sits on shows it, with its own buttons
        (named when posted as the bot); a refusal goes privately to the presser."""
        done = interaction.response.is_done()  # acknowledged before a slow model call
        if reply.error:
            send = interaction.followup.send if done else interaction.response.send_message
            await send(f"⚠️ {reply.text}", ephemeral=True)
            return
        pressed = interaction.message
        header = ""
        if pressed is not None and pressed.webhook_id is None and reply.persona is not None:
            header = name_header(reply.persona)  # posted as the bot, named
        text = (header + reply.text)[:LIMIT]
        view = self._controls(reply, user_id)
        if done:
            await interaction.edit_original_response(content=text, view=view)
        else:
            await interaction.response.edit_message(content=text, view=view)

    async def _place(self, message: discord.Message, who: Who, name: str, text: str) -> Any:
        """Where to answer: with `threads` on, a mention in a channel gets its own thread."""
        channel = message.channel
        if not (self.threads and isinstance(channel, discord.TextChannel)):
            return channel
        if message.reference is not None or await self.core.is_chat_channel(who):
            return channel
        title = f"{name} · {' '.join(text.split())}"
        try:
            return await message.create_thread(
                name=title if len(title) <= 100 else title[:99] + "…",
                auto_archive_duration=1440,
            )
        except discord.HTTPException as exc:  # no Create Public Threads here: answer in place
            log.info("could not start a thread in %s: %s", channel.id, exc.status)
            return channel

    async def _command(
        self, message: discord.Message, who: Who, text: str, files: tuple[Attachment, ...]
    ) -> None:
        """A command typed as text (e.g. "@bot /persona list"): same grammar as the console."""
        reply = await self.core.handle_text(who, text, attachments=files)
        if reply.silent:  # an access list keeps them out: not a word
            return
        channel: Any = message.channel

        async def note(text: str) -> None:
            await message.reply(text, mention_author=False, allowed_mentions=NO_MENTIONS)

        if await answer_privately(
            reply,
            who,
            lambda: self._send(message.author, reply, None, message.author.id),
            note,
            sent="I sent you the answer in a DM.",
            closed="Your DMs are closed: use the slash command for a private answer.",
            refused=discord.Forbidden,
        ):
            return
        await self._send(channel, reply, message, message.author.id)

    async def _send(
        self, channel: Any, reply: Reply, reference: discord.Message | None, asker: int
    ) -> None:
        pieces = split_text(render_text(reply), LIMIT) or ["…"]
        for i, piece in enumerate(pieces):
            last = i == len(pieces) - 1
            view = None
            if last and reply.confirm is not None:
                view = ConfirmView(reply.confirm, asker, self.slash.answer, self.slash.on_error)
            msg = await channel.send(
                piece,
                reference=reference if i == 0 else None,
                mention_author=False,
                allowed_mentions=NO_MENTIONS,
                files=files_of(reply.attachments) if last else [],
                **({"view": view} if view is not None else {}),
            )
            if view is not None:
                view.message = msg
