"""What the model is shown for a message, and the controls on the reply it gave: regenerate
(a new version) and swipe (show another version). Shared by chat turns and commands."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.channel_context import ChannelContext
from bot.config import Settings
from bot.context import Context
from bot.documents import KnowledgeDocs, Vector
from bot.errors import BadInput
from bot.llm import LLM, LLMFailure
from bot.memory.service import MemoryService
from bot.memory.summary import Summaries
from bot.messages import Incoming, Reply, Versions
from bot.model_choice import ModelChoice
from bot.moods import Moods
from bot.profiles import Profiles
from bot.surface import look
from personas.model import Persona
from personas.prompt import HistoryItem, MemoryLine, build_messages
from storage.chats import ChatRepo
from storage.descriptions import DescriptionRepo
from storage.keys import OwnerKey
from storage.knowledge_index import Chunk
from storage.memory_scopes import MemoryScopeRepo
from storage.models import utcnow
from storage.summaries import SummaryRecord
from storage.turns import TurnRecord, TurnRepo
from storage.versions import ReplyVersions

log = logging.getLogger(__name__)

CONTINUE = (
    "Continue your last reply exactly where it stopped. Do not repeat any of it and do not "
    "start over; write only what comes next."
)


def history_items(history: list[TurnRecord]) -> list[HistoryItem]:
    """Stored turns as the model reads them; a reply that broke off says so."""
    return [
        HistoryItem(t.role, t.content + (" [cut off]" if t.status == "cut" else ""))
        for t in history
    ]


@dataclass(frozen=True)
class Window:
    """What a prompt carries of a chat: the recent turns verbatim, the summary of the older
    ones, and whether the summary should catch up after this turn."""

    history: list[TurnRecord]
    summary: SummaryRecord | None
    due: bool

    @property
    def summary_text(self) -> str:
        """The summary for the prompt ("" when there is none)."""
        return self.summary.text if self.summary is not None else ""

    @property
    def summary_memory(self) -> int | None:
        """The summary's recall copy, which recall need not bring back."""
        return self.summary.memory_id if self.summary is not None else None


def controls(reply: TurnRecord) -> Versions:
    """The version controls a stored reply carries."""
    return Versions(reply.id, reply.version, reply.versions)


class Conversation:
    """Prompt assembly and the reply controls; keyed by (user, persona) throughout."""

    def __init__(
        self,
        settings: Settings,
        llm: LLM,
        turns: TurnRepo,
        versions: ReplyVersions,
        memory: MemoryService | None,
        descriptions: DescriptionRepo,
        models: ModelChoice,
        moods: Moods,
        scopes: MemoryScopeRepo,
        chats: ChatRepo,
        summaries: Summaries,
    ) -> None:
        self.settings = settings
        self.llm = llm
        self.turns = turns
        self.versions = versions
        self.memory = memory
        self.descriptions = descriptions
        self.models = models
        self.moods = moods
        self.scopes = scopes
        self.chats = chats
        self.summaries = summaries
        # The greeting each (user, persona) saw last, so /persona greet shows the next one.
        self.greeted: dict[tuple[int, int], int] = {}
        self.group: ChannelContext | None = None  # the core sets it: group channels' context
        self.documents: KnowledgeDocs | None = None  # the core sets it: persona documents
        self.profiles: Profiles | None = None  # the core sets it: experience by profile

    async def here(self, ctx: Context, owner: OwnerKey) -> int | None:
        """The space whose turns and memories a prompt may draw on: in a group only that
        group's — never a DM's secrets — unless the user opted in; in a DM, all of them."""
        if ctx.private_space or await self.scopes.everywhere(owner):
            return None
        return ctx.space_id

    async def chat(self, ctx: Context, owner: OwnerKey) -> int:
        """The chat this user talks in with this persona here."""
        return await self.chats.active(owner, ctx.space_id)

    async def window(
        self, owner: OwnerKey, chat: int, here: int | None, before_id: int | None = None
    ) -> Window:
        """The recent turns of the chat (before `before_id`), and the summary of the older
        ones: every turn the summary does not cover yet, at least the last limits.recent_turns
        and at most memory.summary_every more (so a summary still being written loses
        nothing)."""
        size = self.settings.limits.recent_turns
        if size == 0:
            return Window([], None, False)
        slack = self.summaries.every if self.summaries.enabled else 0
        raw = await self.turns.recent(owner, size + slack, before_id, in_space=here, chat=chat)
        if len(raw) <= size:
            return Window(raw, None, self.summaries.every <= len(raw) + 2 - size)
        summary = await self.summaries.current(owner, chat, here) if slack else None
        through = summary.through_turn_id if summary is not None else 0
        since = [t for t in raw if t.id > through]
        history = since if len(since) >= size else raw[-size:]
        # After this exchange (two more turns), all but the last size - 2 are outside it.
        outside = raw[: max(0, len(raw) - size + 2)]
        due = sum(1 for t in outside if t.id > through) >= self.summaries.every
        return Window(history, summary, due)

    async def user_name(self, ctx: Context, persona: Persona) -> str:
        """What this persona calls the user: their /me name, else their platform name."""
        me = await self.descriptions.for_persona(ctx.user_id, persona.id)
        return me.name or ctx.who.user_name

    def summarise_later(
        self, ctx: Context, persona: Persona, chat: int, here: int | None, user: str
    ) -> None:
        """Let the chat's summary catch up with the turns that left the window."""
        owner = OwnerKey(ctx.user_id, persona.id)
        self.summaries.schedule(owner, chat, here, user, persona.display_name)

    async def messages(
        self,
        ctx: Context,
        persona: Persona,
        text: str,
        window: Window,
        memories: list[MemoryLine],
        mood: str,
        channel: str = "",
        passages: Sequence[Chunk] | None = None,
    ) -> list[dict[str, str]]:
        """The chat messages for `text` after the chat's window (and a group channel's
        recent lines), with the passages of the persona's documents (found here for `text`
        unless the caller found them)."""
        me = await self.descriptions.for_persona(ctx.user_id, persona.id)
        limits = self.settings.limits
        if passages is None:
            passages = await self.passages(persona, text, None)
        experience = ("", "")
        if self.profiles is not None:
            experience = await self.profiles.experience(ctx.user_id, persona.id)
        return build_messages(
            persona,
            history_items(window.history),
            text,
            user_name=me.name or ctx.who.user_name,
            user_about=me.about,
            history_chars=limits.history_chars,
            memories=memories,
            memory_chars=self.settings.memory.prompt_chars,
            mood=mood,
            summary=window.summary_text,
            channel=channel,
            passages=[(c.source, c.text) for c in passages],
            experience=experience,
        )

    async def passages(self, persona: Persona, text: str, vector: Vector | None) -> list[Chunk]:
        """The persona's document chunks for `text` (the persona's, whoever asks)."""
        if self.documents is None:
            return []
        return await self.documents.for_prompt(persona.id, text, vector)

    async def _recall(
        self,
        owner: OwnerKey,
        text: str,
        shown: Collection[int],
        here: int | None,
        hide: int | None,
    ) -> list[MemoryLine]:
        if self.memory is None or not self.settings.memory.enabled:
            return []
        try:
            found = await self.memory.recall(
                owner, text, exclude_turns=shown, in_space=here, touch=False
            )
        except Exception:  # memory must never cost the user a reply
            log.exception("recall failed; answering without it")
            return []
        return [
            MemoryLine(r.item.created_at, r.item.text, r.item.kind)
            for r in found
            if r.item.id != hide
        ]

    async def _last(
        self, ctx: Context, owner: OwnerKey, reply_id: int | None
    ) -> tuple[TurnRecord, TurnRecord]:
        """The exchange whose reply may be changed: the last one here, and only it."""
        chat = await self.chat(ctx, owner)
        last = await self.versions.last_exchange(owner, ctx.space_id, chat)
        if last is None:
            raise BadInput("there is no reply of this persona here to change")
        if reply_id is not None and last[1].id != reply_id:
            raise BadInput("only the latest reply can be regenerated or swiped")
        return last

    async def _again(
        self,
        ctx: Context,
        persona: Persona,
        owner: OwnerKey,
        message: TurnRecord,
        mood: str,
        reply: TurnRecord,
    ) -> list[dict[str, str]]:
        """The prompt `message` was answered from: the history before it, its recall and (in
        a group channel) what was said there, without the reply being redone."""
        here = await self.here(ctx, owner)
        chat = await self.chat(ctx, owner)
        window = await self.window(owner, chat, here, before_id=message.id)
        shown = {t.id for t in window.history} | {message.id}
        memories = await self._recall(owner, message.content, shown, here, window.summary_memory)
        channel = ""
        if self.group is not None:
            asked = Incoming(ctx.who, message.content)
            heard = await self.group.heard(ctx, asked, persona, shown | {reply.id}, None)
            channel = heard.text
        return await self.messages(ctx, persona, message.content, window, memories, mood, channel)

    async def regenerate(self, ctx: Context, persona: Persona, reply_id: int | None) -> Reply:
        """Answer the last message again: a new version of the reply, shown from now on."""
        owner = OwnerKey(ctx.user_id, persona.id)
        message, reply = await self._last(ctx, owner, reply_id)
        mood = ""
        if self.settings.mood.enabled:
            mood = (await self.moods.current(owner, persona, utcnow())).describe()
        messages = await self._again(ctx, persona, owner, message, mood, reply)
        model, temperature, _ = await self.models.effective(ctx, persona)
        try:
            done = await self.llm.complete(messages, model, temperature)
        except LLMFailure as failure:
            return Reply(text=failure.message, persona=look(persona), error=True)
        stored = await self.versions.add(
            owner,
            reply.id,
            done.text,
            model=done.model,
            persona_name=persona.name,
            prompt_tokens=done.prompt_tokens,
            completion_tokens=done.completion_tokens,
        )
        return Reply(
            text=stored.content.strip() or "…", persona=look(persona), versions=controls(stored)
        )

    async def edited(self, ctx: Context, persona: Persona, text: str) -> Reply:
        """The user edited their last message here: it says `text` from now on — in the
        history and in memory — and the reply answers it again (a new version)."""
        owner = OwnerKey(ctx.user_id, persona.id)
        message, reply = await self._last(ctx, owner, None)
        await self.turns.rewrite(owner, message.id, text)
        if self.memory is not None and self.settings.memory.enabled:
            await self.memory.forget_turns(owner, [message.id])
            try:
                await self.memory.remember(
                    owner, text, source_turn_id=message.id, space_id=message.space_id
                )
            except Exception:  # memory must never cost the user a reply
                log.exception("storing the edited message failed; the message itself is saved")
        return await self.regenerate(ctx, persona, reply.id)

    async def extend(self, ctx: Context, persona: Persona) -> Reply:
        """Continue the last reply where it stopped (a cut one, or one that ran out of room):
        the model sees the whole exchange and writes on; the reply grows in place."""
        owner = OwnerKey(ctx.user_id, persona.id)
        message, reply = await self._last(ctx, owner, None)
        messages = await self._again(ctx, persona, owner, message, "", reply)
        messages += [
            {"role": "assistant", "content": reply.content},
            {"role": "system", "content": CONTINUE},
        ]
        model, temperature, _ = await self.models.effective(ctx, persona)
        try:
            done = await self.llm.complete(messages, model, temperature)
        except LLMFailure as failure:
            return Reply(text=failure.message, persona=look(persona), error=True)
        more = done.text.rstrip()
        if more and not more[0].isspace() and reply.content and not reply.content[-1].isspace():
            more = " " + more  # words, not glued together
        stored = await self.versions.extend(
            owner,
            reply.id,
            more,
            model=done.model,
            persona_name=persona.name,
            prompt_tokens=done.prompt_tokens,
            completion_tokens=done.completion_tokens,
        )
        return Reply(
            text=stored.content.strip() or "…", persona=look(persona), versions=controls(stored)
        )

    async def swipe(
        self, ctx: Context, persona: Persona, reply_id: int | None, to: int | str
    ) -> Reply:
        """Show another version of the last reply: its number, or "prev" / "next"."""
        owner = OwnerKey(ctx.user_id, persona.id)
        _, reply = await self._last(ctx, owner, reply_id)
        if to == "prev":
            n = reply.version - 1
        elif to == "next":
            n = reply.version + 1
        else:
            n = int(to)
        if not 1 <= n <= reply.versions:
            raise BadInput(
                f"this reply has {reply.versions} version{'s' if reply.versions > 1 else ''}"
                f" — there is no version {n}"
                + (" (/regen makes another)" if n == reply.versions + 1 else "")
            )
        stored = await self.versions.show(owner, reply.id, n) if reply.versions > 1 else reply
        assert stored is not None
        return Reply(
            text=stored.content.strip() or "…", persona=look(persona), versions=controls(stored)
        )
