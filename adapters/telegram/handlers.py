"""Telegram updates → the core: commands, chat turns, and inline-keyboard presses."""

from __future__ import annotations

import html
import logging
import re
import time
from typing import Any

from telegram import Bot, Chat, Message, MessageEntity, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import ContextTypes

from adapters.private import answer_privately
from adapters.telegram import keyboards as kb
from adapters.telegram.arrival import in_arrival_order
from adapters.telegram.format import pieces
from adapters.telegram.send import Place, TgStream
from bot.config import TelegramAdapterConfig
from bot.core import Core
from bot.messages import Attachment, CommandCall, Incoming, Quoted, Reply, Who

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ADMIN_CACHE_S = 60.0


def space_of(chat: Chat, message: Message | None) -> tuple[str, str, str]:
    """(space_ref, kind, channel_ref) of a chat; forum topics are channels of their group."""
    if chat.type == ChatType.PRIVATE:
        return str(chat.id), "dm", ""
    topic = message.message_thread_id if message is not None and message.is_topic_message else None
    return str(chat.id), "group", f"{chat.id}:{topic}" if topic else str(chat.id)


class Handlers:
    """The adapter's update handlers; every one ends in the core, none touches storage."""

    def __init__(self, core: Core, config: TelegramAdapterConfig) -> None:
        self.core = core
        self.config = config
        self.offers = kb.Offers()
        # (chat, user) → their latest message that became a turn: only it is re-answered when
        # edited (an edit of an older message changes nothing; after a restart, none does).
        self._latest: dict[tuple[int, str], int] = {}
        self._admins: dict[tuple[int, int], tuple[bool, float]] = {}
        # Updates a turn-ordered handler saw: theirs to mark done, not the catch-all's.
        self.ordered: set[int] = set()

    # -- identity ----------------------------------------------------------------------------

    async def _group_admin(self, bot: Bot, chat: Chat, user_id: int, fresh: bool) -> bool:
        key = (chat.id, user_id)
        cached = self._admins.get(key)
        if cached and cached[1] > time.monotonic() and not fresh:
            return cached[0]
        try:
            member = await bot.get_chat_member(chat.id, user_id)
            admin = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
        except TelegramError:
            admin = False
        self._admins[key] = (admin, time.monotonic() + ADMIN_CACHE_S)
        return admin

    async def who(
        self, update: Update, bot: Bot, *, check_admin: bool = False, fresh: bool = False
    ) -> Who:
        """Who sent this update, where; group admin status only when a command needs it
        (`fresh`: asked of Telegram now, not from the cache — for commands that need rights)."""
        user = update.effective_user
        chat = update.effective_chat
        assert user is not None and chat is not None
        space, kind, channel = space_of(chat, update.effective_message)
        admin = (
            kind == "group" and check_admin and await self._group_admin(bot, chat, user.id, fresh)
        )
        parents = (space,) if channel != space and kind == "group" else ()  # a forum topic's
        return Who(
            PLATFORM,
            str(user.id),
            user.full_name,
            space,
            kind,  # type: ignore[arg-type]
            admin,
            channel,
            channel_parents=parents,
        )

    def place(self, update: Update, bot: Bot) -> Place:
        """Where answers to this update go."""
        message = update.effective_message
        chat = update.effective_chat
        assert chat is not None
        thread = message.message_thread_id if message and message.is_topic_message else None
        return Place(bot, chat.id, thread, message.message_id if message else None)

    # -- commands ----------------------------------------------------------------------------

    def _for_someone_else(self, text: str, bot: Bot) -> bool:
        first = text.split(maxsplit=1)[0]
        return "@" in first and first.split("@", 1)[1].lower() != (bot.username or "").lower()

    @in_arrival_order
    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A `/command`: the shared text grammar, with Telegram's underscore form."""
        message = update.effective_message
        if (
            message is None
            or not message.text
            or self._for_someone_else(message.text, context.bot)
        ):
            return
        text = message.text.strip()
        who = await self.who(
            update, context.bot, check_admin=True, fresh=self.core.needs_rights(text)
        )
        place = self.place(update, context.bot)
        picker = self.core.bare_picker(text)
        if picker is not None:  # e.g. a bare /persona_switch: buttons instead of an error
            await self.offer_pick(who, place, *picker)
            return
        reply = await self.core.handle_text(who, text)
        await self.answer(update, context, who, place, reply)

    async def answer(
        self, update: Update, context: Any, who: Who, place: Place, reply: Reply
    ) -> None:
        """Deliver a command's reply; private output in a group goes to the user's DM."""
        if reply.silent:  # an access list keeps them out: not a word
            return
        markup = self._controls(reply, who)
        if reply.confirm is not None:
            token = self.offers.add(
                kb.Offer(who.user_ref, "confirm", confirm_token=reply.confirm.token)
            )
            markup = kb.confirm_keyboard(token)
        dm = Place(context.bot, int(who.user_ref), None, None)

        async def note(text: str) -> None:
            await place.send(text, reply=True)

        if await answer_privately(
            reply,
            who,
            lambda: dm.deliver(reply, markup),
            note,
            sent="I sent you the answer in a private chat.",
            closed=f"Start a private chat with @{context.bot.username} first, "
            "then I can answer privately.",
            refused=Forbidden,
        ):
            return
        await place.deliver(reply, markup)

    async def offer_pick(
        self, who: Who, place: Place, path: tuple[str, ...], param: str, question: str
    ) -> None:
        """Buttons for every persona this user may use here; a press runs `path` with it."""
        looks = await self.core.persona_choices(who, "", limit=200)
        offer = kb.Offer(who.user_ref, "switch", looks=looks, path=path, param=param)
        token = self.offers.add(offer)
        await place.send(question, markup=kb.switch_keyboard(token, looks, 0))

    # -- button presses ----------------------------------------------------------------------

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on one of our keyboards, checked against what we offered and to whom."""
        query = update.callback_query
        assert query is not None
        version = kb.parse_versions(query.data)
        if version is not None:
            await self._on_versions(update, context, *version)
            return
        greeting = kb.parse_greeting(query.data)
        if greeting is not None:
            await self._on_greeting(update, context, *greeting)
            return
        stopping = kb.parse_stop(query.data)
        if stopping is not None:
            if str(query.from_user.id) != stopping:
                await query.answer("Only the person this reply is for can stop it.")
                return
            stopped = self.core.stop(await self.who(update, context.bot))
            await query.answer("Stopped." if stopped else "It has already finished.")
            return
        parsed = kb.parse(query.data)
        if parsed is None:
            await query.answer("This button isn't valid.", show_alert=True)
            return
        kind, token, arg = parsed
        offer = self.offers.get(token)
        if offer is None:
            await query.answer("These buttons have expired.", show_alert=True)
            return
        if str(query.from_user.id) != offer.owner:
            await query.answer("Only the person who asked can use these buttons.", show_alert=True)
            return
        who = await self.who(update, context.bot, check_admin=True)
        if kind == "cf" and offer.kind == "confirm":
            self.offers.drop(token)
            reply = await self.core.confirm(offer.confirm_token, who, arg == "y")
            await query.answer()
            await self._settle(query, reply)
            return
        if offer.kind != "switch" or not arg.isdigit():
            await query.answer("This button isn't valid.", show_alert=True)
            return
        index = int(arg)
        if kind == "pg" and index * kb.PAGE < len(offer.looks):
            await query.answer()
            await query.edit_message_reply_markup(kb.switch_keyboard(token, offer.looks, index))
            return
        if kind == "sw" and index < len(offer.looks):
            self.offers.drop(token)
            call = CommandCall(who, offer.path, {offer.param: offer.looks[index].name})
            reply = await self.core.command(call)
            await query.answer()
            await self._settle(query, reply)
            return
        await query.answer("This button isn't valid.", show_alert=True)

    async def _on_greeting(
        self, update: Update, context: Any, persona_id: int, greeted: str, n: int
    ) -> None:
        """◀ ▶ under a greeting: only the user it greeted; the message shows greeting n."""
        query = update.callback_query
        assert query is not None
        if str(query.from_user.id) != greeted:
            await query.answer("Only the person it greeted can use these buttons.")
            return
        who = await self.who(update, context.bot)
        await self._show(query, await self.core.greeting(who, persona_id, n), who)

    async def _on_versions(
        self, update: Update, context: Any, reply_id: int, answered: str, action: str
    ) -> None:
        """🔄 ◀ ▶ under a reply: only its own user, only on the latest reply; the message
        shows the chosen version, with its buttons."""
        query = update.callback_query
        assert query is not None
        if str(query.from_user.id) != answered:
            await query.answer("Only the person this reply answered can use these buttons.")
            return
        if action == "c":  # the "2/3" label
            await query.answer()
            return
        who = await self.who(update, context.bot)
        if action == "r":
            reply = await self.core.regenerate(who, reply_id)
        else:
            reply = await self.core.swipe(who, reply_id, "prev" if action == "p" else "next")
        await self._show(query, reply, who)

    async def _show(self, query: Any, reply: Reply, who: Who) -> None:
        """A pressed button's answer: the message it sits on shows it, with its own buttons;
        a refusal is an alert and the message stays."""
        if reply.error:
            await query.answer(reply.text[:200], show_alert=True)
            return
        await query.answer()
        await query.edit_message_text(
            pieces(reply)[0], parse_mode="HTML", reply_markup=self._controls(reply, who)
        )

    async def _settle(self, query: Any, reply: Reply) -> None:
        await query.edit_message_text(pieces(reply)[0], parse_mode="HTML", reply_markup=None)

    # -- audio -------------------------------------------------------------------------------

    @in_arrival_order
    async def on_audio(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A voice note or audio file: with a /command caption it is that command's file
        (`/voice upload`); otherwise a voice turn, transcribed by the core."""
        message = update.effective_message
        if message is None:
            return
        media = message.voice or message.audio or message.document
        if media is None:
            return
        who = await self.who(update, context.bot, check_admin=True)
        caption = (message.caption or "").strip()
        if not caption.startswith("/") and not await self._for_us(message, who, context.bot):
            return
        place = self.place(update, context.bot)
        file = await self._download(media, place, "voice.ogg", "audio/ogg")
        if file is None:
            return
        audio = (file,)
        if caption.startswith("/"):
            reply = await self.core.handle_text(who, caption, attachments=audio)
            await self.answer(update, context, who, place, reply)
            return
        await self._turn(who, place, "", audio, message)

    async def _download(self, media: Any, place: Place, name: str, mime: str) -> Attachment | None:
        """A file a message carries, unless it is too big (then the user is told and None
        comes back). Telegram declares the size, so nothing too big is downloaded."""
        name = getattr(media, "file_name", None) or name
        mime = getattr(media, "mime_type", None) or mime
        refused = self.core.too_big(name, media.file_size or 0)
        if refused:
            await place.deliver(Reply(refused, error=True))
            return None
        data = bytes(await (await media.get_file()).download_as_bytearray())
        return Attachment(name, mime, data)

    @in_arrival_order
    async def on_file(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A document or photo with a /command caption: that command's file (a character
        card for /persona import). Photos arrive re-encoded by Telegram as JPEG."""
        message = update.effective_message
        if message is None or not (message.caption or "").strip().startswith("/"):
            return
        photo = message.photo[-1] if message.photo else None  # the largest size
        media = message.document or photo
        if media is None:
            return
        who = await self.who(update, context.bot, check_admin=True)
        place = self.place(update, context.bot)
        file = await self._download(media, place, "photo.jpg", "image/jpeg")
        if file is None:
            return
        caption = (message.caption or "").strip()
        shown: list[int] = []  # the one progress message, edited as long work goes on

        async def progress(text: str) -> None:
            if not shown:
                shown.append((await place.send(html.escape(text), reply=True)).message_id)
            else:
                await place.edit(shown[0], html.escape(text))

        reply = await self.core.handle_text(who, caption, attachments=(file,), progress=progress)
        await self.answer(update, context, who, place, reply)

    # -- chat --------------------------------------------------------------------------------

    def _addressed(self, message: Message, bot: Bot) -> bool:
        """In a group: a @mention of the bot, or a reply to one of its messages."""
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        name = f"@{bot.username}".lower()
        for entity, text in message.parse_entities(
            [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
        ).items():
            if text.lower() == name or (entity.user is not None and entity.user.id == bot.id):
                return True
        return False

    async def _for_us(self, message: Message, who: Who, bot: Bot) -> bool:
        """Every message in a DM; in groups when addressed — or when the core says the group is
        a chat channel."""
        addressed = who.space_kind != "group" or self._addressed(message, bot)
        return await self.core.answers(Incoming(who, "", addressed=addressed))

    @in_arrival_order
    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A plain message: a turn in DMs; in groups only when addressed (or a chat channel)."""
        message = update.effective_message
        if message is None or not message.text:
            return
        who = await self.who(update, context.bot)
        if not await self._for_us(message, who, context.bot):
            return
        text = re.sub(rf"@{re.escape(context.bot.username or '')}\b", "", message.text).strip()
        if not text:
            return
        self._latest[(message.chat_id, who.user_ref)] = message.message_id
        await self._turn(who, self.place(update, context.bot), text, (), message)

    @in_arrival_order
    async def on_edit(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The user edited their latest message: it is answered again, and the conversation
        carries the new text from now on."""
        message = update.edited_message
        if message is None or not message.text:
            return
        who = await self.who(update, context.bot)
        if self._latest.get((message.chat_id, who.user_ref)) != message.message_id:
            return
        text = re.sub(rf"@{re.escape(context.bot.username or '')}\b", "", message.text).strip()
        reply = await self.core.edited(Incoming(who, text))
        place = self.place(update, context.bot)
        await place.deliver(reply, None if reply.error else self._controls(reply, who))

    async def _turn(
        self,
        who: Who,
        place: Place,
        text: str,
        files: tuple[Attachment, ...],
        message: Message,
    ) -> None:
        parent = message.reply_to_message
        reply_to = str(parent.message_id) if parent else None
        quoted = None
        if parent is not None:
            author = parent.from_user.full_name if parent.from_user else "someone"
            quoted = Quoted(author, parent.text or parent.caption or "", str(parent.message_id))
        incoming = Incoming(
            who, text, files, reply_to, message_ref=str(message.message_id), quoted=quoted
        )
        look = await self.core.look_for(incoming)
        stop = kb.stop_keyboard(who.user_ref) if self.config.reply_buttons else None
        stream = TgStream(place, look, interval=self.config.edit_interval_s, stop=stop)
        stream.start_typing()
        reply = await self.core.chat(incoming, stream.push, stream.working)
        await stream.finish(reply, self._controls(reply, who))
        if stream.message_id is not None and not reply.error:
            await self.core.delivered(reply.line_id, str(stream.message_id))
        while reply.next is not None and not reply.error:  # a scene: the others, in turn
            place = Place(place.bot, place.chat_id, place.thread_id, None)
            stream = TgStream(place, reply.next, interval=self.config.edit_interval_s)
            stream.start_typing()
            follow = await self.core.scene_next(who, stream.push, stream.working)
            if follow is None:
                await stream.stop()
                return
            await stream.finish(follow)
            if stream.message_id is not None and not follow.error:
                await self.core.delivered(follow.line_id, str(stream.message_id))
            reply = follow

    def _controls(self, reply: Reply, who: Who) -> Any:
        """The buttons under a persona's reply (regenerate, swipe) or greeting (◀ ▶)."""
        if reply.error or not self.config.reply_buttons:
            return None
        if reply.greetings is not None:
            return kb.greetings_keyboard(reply.greetings, who.user_ref)
        if reply.versions is None:
            return None
        return kb.versions_keyboard(reply.versions, who.user_ref)
