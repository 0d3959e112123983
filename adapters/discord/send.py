"""Posting replies: as the persona through a channel webhook, else as the bot with the name."""

from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import discord

from bot.messages import Attachment, Look
from bot.split import split_text

log = logging.getLogger(__name__)

LIMIT = 2000  # characters per Discord message
WEBHOOK_NAME = "personabot"
WEBHOOK_HOMES = (discord.TextChannel, discord.ForumChannel)  # DMs and voice chats have none
NO_MENTIONS = discord.AllowedMentions.none()  # a persona must never ping @everyone or roles
FACE_ID = 16  # hex digits of a picture id in an avatar webhook's name


def files_of(attachments: Sequence[Attachment]) -> list[discord.File]:
    """Reply attachments as Discord files."""
    return [discord.File(io.BytesIO(a.data), filename=a.filename) for a in attachments if a.data]


@dataclass
class Posted:
    """A message we sent, and how to edit it."""

    message: discord.Message
    webhook: discord.Webhook | None
    header: str  # the bold name line of a fallback message, kept on edits


def name_header(look: Look) -> str:
    """The bold name heading a reply posted as the bot (no webhook)."""
    return f"**{discord.utils.escape_markdown(look.display_name)}**\n"


def face_name(picture_id: str) -> str:
    """The name of the webhook that carries a persona picture as its own avatar: the picture
    id in the name lets a restarted bot find it again (Discord keeps webhooks, not our map)."""
    return f"{WEBHOOK_NAME} {picture_id[:FACE_ID]}"


class Sender:
    """Posts persona replies; one reused webhook per channel (Discord allows 15 per channel).

    A persona with an avatar *picture* (not a URL) posts through a webhook whose own avatar is
    that picture: webhook messages take an avatar only as a URL, and an uploaded attachment's
    URL expires. At most `faces` such webhooks per channel; the least recently used one is
    repainted (name and avatar) when another picture needs a place."""

    def __init__(
        self,
        client: discord.Client,
        use_webhooks: bool,
        avatar: Callable[[str], Awaitable[bytes | None]] | None = None,
        faces: int = 4,
    ) -> None:
        self.client = client
        self.use_webhooks = use_webhooks
        self._avatar = avatar
        self._max_faces = faces
        self._hooks: dict[int, discord.Webhook | None] = {}  # None: not allowed there
        self._faces: dict[int, OrderedDict[str, discord.Webhook]] = {}  # by picture id prefix
        self._painting: dict[int, asyncio.Lock] = {}

    def _home(self, channel: Any) -> Any:
        """The channel that owns webhooks: a thread's parent, or the channel itself."""
        if isinstance(channel, discord.Thread):
            return channel.parent
        return channel

    async def webhook_for(self, channel: Any) -> discord.Webhook | None:
        """Our webhook in this channel, created on first use; None where webhooks can't be used."""
        home = self._home(channel)
        if not self.use_webhooks or not isinstance(home, WEBHOOK_HOMES):
            return None
        if home.id in self._hooks:
            return self._hooks[home.id]
        hook: discord.Webhook | None = None
        faces: OrderedDict[str, discord.Webhook] = OrderedDict()
        try:
            me = self.client.user
            for found in await home.webhooks():
                mine = found.user is not None and me is not None and found.user.id == me.id
                if not (found.token and mine):
                    continue
                if found.name == WEBHOOK_NAME and hook is None:
                    hook = found
                elif (found.name or "").startswith(f"{WEBHOOK_NAME} "):
                    faces[(found.name or "").split(" ", 1)[1]] = found
            self._faces[home.id] = faces
            if hook is None:
                hook = await home.create_webhook(name=WEBHOOK_NAME, reason="persona replies")
                log.info("created a webhook in #%s (%s)", getattr(home, "name", "?"), home.id)
        except discord.Forbidden:
            log.info("no Manage Webhooks in channel %s: posting as the bot", home.id)
        except discord.HTTPException as exc:  # e.g. the channel already has 15 webhooks
            log.warning("can't use a webhook in channel %s: %s", home.id, exc.text or exc.status)
        self._hooks[home.id] = hook
        return hook

    def is_ours(self, message: discord.Message) -> bool:
        """Was this message posted by us (as the bot or through one of our webhooks)?"""
        me = self.client.user
        if me is not None and message.author.id == me.id:
            return True
        if message.webhook_id is None:
            return False
        if any(h is not None and h.id == message.webhook_id for h in self._hooks.values()):
            return True
        if any(h.id == message.webhook_id for f in self._faces.values() for h in f.values()):
            return True
        app_id = self.client.application_id
        return app_id is not None and message.application_id == app_id

    async def post(
        self,
        channel: Any,
        look: Look | None,
        text: str,
        *,
        reference: discord.Message | None = None,
        files: Sequence[discord.File] = (),
        view: discord.ui.View | None = None,
        controls: discord.ui.View | None = None,
    ) -> Posted:
        """Send one message of at most LIMIT characters (callers split). `view` needs the
        bot's own message (its buttons live in this process); `controls` — buttons that
        survive restarts — go on a webhook message too."""
        hook = await self.webhook_for(channel) if look is not None and view is None else None
        view = view or controls
        if hook is not None and look is not None:
            kwargs: dict[str, Any] = {"view": controls} if controls is not None else {}
            if isinstance(channel, discord.Thread):
                kwargs["thread"] = channel
            face = await self._face(self._home(channel), look.avatar_id)
            try:
                msg = await (face or hook).send(
                    text,
                    username=look.display_name[:80],
                    avatar_url=None if face else look.avatar_url or None,
                    allowed_mentions=NO_MENTIONS,
                    files=list(files),
                    wait=True,
                    **kwargs,
                )
                return Posted(msg, hook, "")
            except discord.NotFound:  # someone deleted our webhook: make a new one next time
                self._hooks.pop(self._home(channel).id, None)
                self._faces.pop(self._home(channel).id, None)
            except discord.HTTPException as exc:  # e.g. a display name Discord refuses
                log.warning("webhook send failed (%s); posting as the bot", exc.status)
        header = name_header(look) if look is not None else ""
        extra: dict[str, Any] = {"view": view} if view is not None else {}
        msg = await channel.send(
            header + text,
            reference=reference,
            mention_author=False,
            allowed_mentions=NO_MENTIONS,
            files=list(files),
            **extra,
        )
        return Posted(msg, None, header)

    async def _face(self, home: Any, picture_id: str) -> discord.Webhook | None:
        """The webhook wearing this picture in this channel, made or repainted when needed;
        None when there is no picture or it can't be had (the plain webhook posts instead)."""
        faces = self._faces.get(home.id)
        if not picture_id or self._avatar is None or faces is None or self._max_faces < 1:
            return None
        key = picture_id[:FACE_ID]
        async with self._painting.setdefault(home.id, asyncio.Lock()):
            if key in faces:
                faces.move_to_end(key)
                return faces[key]
            image = await self._avatar(picture_id)
            if image is None:
                return None
            try:
                if len(faces) >= self._max_faces:
                    _, old = faces.popitem(last=False)
                    face = await old.edit(name=face_name(picture_id), avatar=image)
                else:
                    face = await home.create_webhook(
                        name=face_name(picture_id), avatar=image, reason="a persona's avatar"
                    )
            except discord.HTTPException as exc:  # e.g. 15 webhooks already in the channel
                log.warning("no avatar webhook in channel %s: %s", home.id, exc.text or exc)
                return None
            faces[key] = face
            return face

    async def edit(self, posted: Posted, text: str, view: discord.ui.View | None = None) -> None:
        """Replace the text of a message we posted (and give it buttons, with `view`)."""
        kwargs: dict[str, Any] = {"view": view} if view is not None else {}
        if posted.webhook is not None:
            thread = posted.message.channel
            if isinstance(thread, discord.Thread):
                kwargs["thread"] = thread
            await posted.webhook.edit_message(
                posted.message.id, content=text, allowed_mentions=NO_MENTIONS, **kwargs
            )
        else:
            await posted.message.edit(
                content=posted.header + text, allowed_mentions=NO_MENTIONS, **kwargs
            )

    async def delete(self, posted: Posted) -> None:
        """Delete a message we posted (through its webhook, or as the bot)."""
        if posted.webhook is not None:
            thread = posted.message.channel
            kwargs: dict[str, Any] = {}
            if isinstance(thread, discord.Thread):
                kwargs["thread"] = thread
            await posted.webhook.delete_message(posted.message.id, **kwargs)
        else:
            await posted.message.delete()

    def pieces(self, look: Look | None, text: str, channel: Any) -> list[str]:
        """Split `text` so each message, with its name header if any, fits Discord's limit."""
        room = LIMIT
        if look is not None and self._hooks.get(self._home(channel).id) is None:
            room -= len(name_header(look))
        return split_text(text, room) or ["…"]
