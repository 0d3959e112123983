"""The conversation core: resolves who and where, runs turns and commands, returns Replies."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace

from bot.access import Access
from bot.budgets import Budgets
from bot.channel_context import ChannelContext
from bot.channels import ChatChannels
from bot.commands.parse import parse
from bot.commands.spec import REGISTRY, CommandSpec, all_commands
from bot.config import Settings
from bot.confirm import Confirmations
from bot.context import Context
from bot.conversation import Conversation
from bot.dispatch import Dispatcher, clean, guard
from bot.documents import KnowledgeDocs, with_sources
from bot.errors import BadInput
from bot.inbox import Inbox
from bot.jobs.runner import JobRunner
from bot.links import Links
from bot.llm import LLM, Completion, LLMFailure, is_embedded
from bot.locks import KeyedLocks
from bot.memory.experience import ExperienceKeeper
from bot.memory.extract import Extractor
from bot.memory.knowledge import KnowledgeKeeper
from bot.memory.service import MemoryService
from bot.memory.summary import Summaries
from bot.messages import (
    Attachment,
    ChunkSink,
    CommandCall,
    Incoming,
    Look,
    ProgressSink,
    Reply,
    Versions,
    Who,
    WorkSignal,
)
from bot.model_choice import ModelChoice
from bot.moderation import Moderation
from bot.moods import Moods
from bot.outbox import Outbox
from bot.persona_service import PersonaService
from bot.pictures import Pictures
from bot.profiles import Profiles
from bot.reply_controls import ReplyControls
from bot.retirement import Retirement
from bot.safety import SafetyNote
from bot.scene_turns import SceneTurns
from bot.scenes import Scenes, Step
from bot.services import Services
from bot.surface import SurfaceQueries, look
from bot.turn_parts import TurnParts
from bot.user_data import UserData
from bot.voice.service import VoiceService
from personas.catalog import load_templates
from personas.model import Persona
from storage.access import AccessRepo
from storage.budgets import BudgetRepo
from storage.channel_lines import ChannelLines
from storage.channels import ChatChannelRepo
from storage.chats import ChatRepo
from storage.db import Database
from storage.decay import Decay
from storage.descriptions import DescriptionRepo
from storage.farewells import FarewellRepo
from storage.identities import Identities
from storage.inbox import InboxRepo
from storage.keys import OwnerKey
from storage.links import LinkRepo
from storage.memory_scopes import MemoryScopeRepo
from storage.models import utcnow
from storage.moderation import ModerationRepo
from storage.moods import MoodRepo
from storage.personas import PersonaRepo
from storage.pictures import PictureRepo
from storage.profiles import ProfileRepo
from storage.retirement import RetirementRepo
from storage.scenes import SceneRepo
from storage.space_settings import SpaceSettingsRepo
from storage.summaries import SummaryRepo
from storage.turns import TurnRepo
from storage.usage import UsageRepo
from storage.user_data import Account, UserDataRepo
from storage.versions import ReplyVersions
from storage.voice_prefs import VoicePrefRepo

log = logging.getLogger(__name__)

ID_S = 10.0  # seconds a link made by another process may take to apply here


class Core(SurfaceQueries, SceneTurns, ReplyControls, TurnParts):
    """Platform-neutral bot: adapters hand it Incoming/CommandCall and render its Replies."""

    def __init__(
        self,
        settings: Settings,
        db: Database,
        llm: LLM,
        memory: MemoryService | None = None,
        voice: VoiceService | None = None,
        documents: KnowledgeDocs | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.llm = llm
        self.memory = memory
        self.documents = documents
        self.safety = SafetyNote(settings.safety)
        self.budgets = Budgets(BudgetRepo(db), Identities(db), settings.budgets)
        self.voice = voice
        self.voice_prefs = VoicePrefRepo(db)
        self.descriptions = DescriptionRepo(db)
        self.scopes = MemoryScopeRepo(db)
        self.moods = Moods(MoodRepo(db), settings.mood)
        self.identities = Identities(db)
        self.turns = TurnRepo(db)
        self.usage = UsageRepo(db)
        self.models = ModelChoice(settings, llm, SpaceSettingsRepo(db))
        self.channels = ChatChannels(ChatChannelRepo(db))
        self.pictures = Pictures(PictureRepo(db), settings.limits.picture_bytes)
        self.personas = PersonaService(PersonaRepo(db), settings, load_templates(), self.pictures)
        self.outbox = Outbox()  # the composition root registers the running adapters
        self.access = Access(AccessRepo(db), settings.access, self.outbox)
        self.inbox = Inbox(InboxRepo(db))  # what platforms delivered, kept before confirming
        self.retirement = Retirement(
            self.personas,
            RetirementRepo(db),
            FarewellRepo(db),
            self.outbox,
            settings,
            self.identities,
        )
        self.moderation = Moderation(
            ModerationRepo(db), self.personas, self.identities, self.outbox
        )
        self.user_data = UserData(
            UserDataRepo(db), self.personas, settings.data_dir / "archives", self._forget_accounts
        )
        self.user_data.memory, self.user_data.documents = memory, documents
        self.user_data.voice = voice
        self.links = Links(LinkRepo(db), self.identities, BudgetRepo(db), self._users_changed)
        self.jobs = JobRunner(self)
        self.chats = ChatRepo(db)
        lines = ChannelLines(db, settings.group.keep)
        self.group = ChannelContext(lines, settings)
        self.scenes = Scenes(SceneRepo(db), lines, self.personas, settings)
        self.summaries = Summaries(settings, llm, self.turns, SummaryRepo(db), memory)
        self.conversation = Conversation(
            settings,
            llm,
            self.turns,
            ReplyVersions(db),
            memory,
            self.descriptions,
            self.models,
            self.moods,
            self.scopes,
            self.chats,
            self.summaries,
        )
        self.conversation.group = self.group  # a redone reply hears the channel too
        self.conversation.documents = documents
        guesser = settings.profiles.model or settings.memory.extraction_model or settings.llm.model
        self.profiles = Profiles(ProfileRepo(db), settings.profiles, llm, self.turns, guesser)
        self.conversation.profiles = self.profiles
        self.retirement.documents = documents
        self.locks = KeyedLocks(db.user_lock)  # PostgreSQL: across every worker too
        self._stops: dict[tuple[str, str], asyncio.Event] = {}  # turns a user may stop
        self.commands = {c.path: c for c in all_commands()}
        self.services = Services(
            settings=settings,
            personas=self.personas,
            pictures=self.pictures,
            models=self.models,
            turns=self.turns,
            memory=memory,
            decay=Decay(db, None, settings.memory.decay),
            voice=voice,
            voice_prefs=self.voice_prefs,
            scopes=self.scopes,
            usage=self.usage,
            moods=self.moods,
            channels=self.channels,
            retirement=self.retirement,
            jobs=self.jobs,
            descriptions=self.descriptions,
            conversation=self.conversation,
            chats=self.chats,
            summaries=self.summaries,
            scenes=self.scenes,
            commands=self.command_list,
            documents=documents,
            budgets=self.budgets,
            access=self.access,
            moderation=self.moderation,
            user_data=self.user_data,
            links=self.links,
            profiles=self.profiles,
        )
        self.dispatch = Dispatcher(self.services, self.context, Confirmations(), self.commands)
        self.extractor: Extractor | None = None
        mem = settings.memory
        distiller = mem.extraction_model or settings.llm.model
        if mem.extraction_model == "" and is_embedded(distiller):
            log.info(
                "fact extraction off: the embedded model can't write reliable JSON "
                "(set memory.extraction_model to turn it on)"
            )
        elif memory is not None and mem.enabled and mem.extraction:
            keeper = KnowledgeKeeper(
                self.personas.repo,
                self.turns,
                llm,
                distiller,
                mem.knowledge_every,
                mem.knowledge_min_users,
            )
            self.extractor = Extractor(
                memory, self.turns, llm, distiller, keeper, self.identities.name
            )
            self.extractor.experience = ExperienceKeeper(
                self.profiles.repo,
                self.turns,
                self.identities,
                llm,
                distiller,
                mem.knowledge_min_users,
            )
        # Account → the user it acts as, re-read after ID_S (another process may link it).
        self._users: dict[tuple[str, str], tuple[int, float]] = {}
        self._spaces: dict[tuple[str, str], int] = {}

    async def start(self) -> None:
        """Migrate the schema and install shipped presets."""
        await self.db.migrate()
        await self.db.listen()  # PostgreSQL: other workers' changes reach this cache
        added = await self.personas.sync_presets()
        if self.extractor is not None:
            self.extractor.schedule()  # exchanges left over from a crash or an outage
        log.info("core ready (%d presets added)", added)

    async def close(self) -> None:
        """Let background extraction finish, then release the database."""
        if self.extractor is not None:
            await self.extractor.wait()
        await self.summaries.wait()
        await self.profiles.wait()
        if self.memory is not None:
            await self.memory.settle()
            await self.memory.vectors.close()
        if self.documents is not None:
            await self.documents.close()
        await self.db.close()

    async def context(self, who: Who) -> Context:
        """Resolve platform identity to ids (cached: ids never change)."""
        ukey = (who.platform, who.user_ref)
        known = self._users.get(ukey)
        if known is None or known[1] < time.monotonic():
            uid = await self.identities.user(who.platform, who.user_ref, who.user_name)
            known = self._users[ukey] = (uid, time.monotonic() + ID_S)
        skey = (who.platform, who.space_ref)
        if skey not in self._spaces:
            self._spaces[skey] = await self.identities.space(
                who.platform, who.space_ref, who.space_kind
            )
        admins = self.settings.admins.ids(who.platform)
        return Context(who, known[0], self._spaces[skey], who.user_ref in admins)

    def _users_changed(self) -> None:
        """Accounts were linked or unlinked: every account's user is read again."""
        self._users.clear()

    def _forget_accounts(self, accounts: Sequence[Account]) -> None:
        """Erased accounts: their cached ids go (a new message starts a stranger)."""
        for a in accounts:
            self._users.pop((a.platform, a.ref), None)
            for space in (a.ref, f"dm:{a.ref}"):
                self._spaces.pop((a.platform, space), None)

    async def answers(self, incoming: Incoming) -> bool:
        """Is this message for the bot? Addressed to it (the adapter says: a DM, a mention, a
        reply to it, its thread), or written in a chat channel (the core knows those). Never
        when an access list keeps its writer out (they hear at most a private note)."""
        ctx = await self.context(incoming.who)
        if await self.access.turned_away(ctx):
            return False
        if incoming.addressed:
            return True
        if await self.scenes.here(ctx) is not None:  # a scene answers everyone in it
            return True
        refs = (incoming.who.channel_ref, incoming.parent_ref)
        return any([await self.channels.has(ctx.space_id, ref) for ref in refs if ref])

    def in_order(self, platform: str, user_ref: str) -> AbstractAsyncContextManager[None]:
        """Hold one user's turn from its arrival through its delivery. Enter it before any
        other await (the place in line is taken then); chat() inside it does not wait again."""
        return self.locks.hold((platform, user_ref))

    async def chat(
        self,
        incoming: Incoming,
        on_chunk: ChunkSink | None = None,
        on_working: WorkSignal | None = None,
    ) -> Reply:
        """One turn with the active persona; every failure becomes an error Reply.
        `on_working` hears when the model starts and stops working on it."""
        return await guard(self._chat(incoming, on_chunk, on_working), "a chat turn")

    async def _chat(
        self, incoming: Incoming, on_chunk: ChunkSink | None, on_working: WorkSignal | None
    ) -> Reply:
        """The turn; the user's message is stored before the model runs."""
        text = clean(incoming.text).strip() or clean(await self._transcript(incoming))
        limit = self.settings.limits.message
        if len(text) > limit:
            raise BadInput(f"the message is too long: {len(text)} characters (limit {limit})")
        # Locked per user before anything awaits, so a user's messages are taken in the order
        # they arrived (asyncio locks are FIFO) and a turn sees every earlier one stored.
        async with self.locks.hold((incoming.who.platform, incoming.who.user_ref)):
            ctx = await self.context(incoming.who)
            async with self.gate(ctx):  # refused here: nothing is stored
                stored = await self.personas.repo.active(ctx.user_id, ctx.space_id)
                if stored is not None and stored.status == "retired":
                    return await self._after_retirement(ctx, stored)
                persona = await self.personas.pick_active(ctx, stored)
                scene = await self.scenes.here(ctx)
                cast = await self.scenes.cast(scene) if scene is not None else []
                speakers = []
                if scene is not None and cast:
                    speakers = await self.scenes.choose(ctx, scene, cast, incoming, text)
                persona = speakers[0] if speakers else persona  # a scene decides who answers
                reply, done, said = await self._answer(
                    ctx, incoming, text, persona, on_chunk, on_working
                )
                if speakers:
                    self.scenes.begin(ctx, [Step(p, incoming, line_id=said) for p in speakers[1:]])
        if not done:
            return reply
        if self.extractor is not None:
            self.extractor.schedule()
        self.profiles.after_turn(ctx)
        note = self.profiles.owed_note(ctx.user_id)
        if note:
            reply = replace(reply, text=f"{reply.text}\n\n{note}")
        if self.voice is not None and await self.voice_on(ctx):
            over = await self.budgets.may_speak(ctx, len(reply.text))
            if over:
                reply = replace(reply, text=f"{reply.text}\n\n{over}")
            else:
                reply = await self._spoken(ctx, OwnerKey(ctx.user_id, persona.id), persona, reply)
        return self._then(ctx, cast, persona, reply)

    async def _answer(
        self,
        ctx: Context,
        incoming: Incoming,
        text: str,
        persona: Persona,
        on_chunk: ChunkSink | None,
        on_working: WorkSignal | None,
        said_id: int | None = None,
    ) -> tuple[Reply, bool, int | None]:
        """One persona's answer to a person's message, stored with it (the caller holds the
        person's turn): the reply, whether the model finished it, and the message's channel
        line (`said_id`: already kept, when another persona answered it first)."""
        owner = OwnerKey(ctx.user_id, persona.id)
        here = await self.conversation.here(ctx, owner)
        chat = await self.conversation.chat(ctx, owner)
        window = await self.conversation.window(owner, chat, here)
        mood, felt = "", None
        if self.settings.mood.enabled:
            now = utcnow()
            moved = await self.moods.feel(owner, persona, text, now)
            mood, felt = moved.describe(), (moved.emotion, moved.intensity, now)
        flags = self.safety.flags(text)
        turn_id = await self.turns.add_user(
            owner, ctx.space_id, text, mood=felt, chat_id=chat, flags=flags
        )
        if said_id is None:
            said_id = await self.group.said(ctx, incoming, text, turn_id)
        memories, keeping, vector = await self._recall_and_remember(
            owner, text, turn_id, window, ctx.space_id, here
        )
        try:
            model, temperature, _ = await self.models.effective(ctx, persona)
            shown = {t.id for t in window.history}
            heard = await self.group.heard(ctx, incoming, persona, shown, said_id)
            passages = await self.conversation.passages(persona, text, vector)
            messages = await self.conversation.messages(
                ctx, persona, text, window, memories, mood, heard.text, passages
            )
            key = (incoming.who.platform, incoming.who.user_ref)
            stop = self._stops[key] = asyncio.Event()
            try:
                if on_working is not None:
                    await on_working(True)
                try:
                    done = await self.llm.complete(
                        messages, model, temperature, on_chunk, stop=stop
                    )
                finally:
                    self._stops.pop(key, None)
                    if on_working is not None:
                        await on_working(False)
            except LLMFailure as failure:
                kept = failure.partial
                if kept is not None and kept.text:  # the user saw part of it: kept, as cut
                    cut_id = await self._store_reply(
                        owner, ctx, persona, kept, "cut", chat, heard.others
                    )
                    if failure.kind == "stopped":
                        stopped = Reply(
                            text=self.safety.add(
                                f"{kept.text.strip()}\n\n{failure.message}", flags
                            ),
                            persona=look(persona),
                            versions=Versions(cut_id, 1, 1),
                        )
                        return stopped, False, said_id
                failed = Reply(
                    text=self.safety.add(failure.message, flags),
                    persona=look(persona),
                    error=True,
                )
                return failed, False, said_id
            reply_id = await self._store_reply(
                owner, ctx, persona, done, "done", chat, heard.others
            )
            self.budgets.spent(ctx, done.prompt_tokens + done.completion_tokens)
            line_id = await self.group.replied(
                ctx, persona, done.text, reply_id, incoming.message_ref
            )
        finally:
            if keeping is not None:
                await keeping
        if window.due:
            name = await self.conversation.user_name(ctx, persona)
            self.conversation.summarise_later(ctx, persona, chat, here, name)
        answer = Reply(
            text=self.safety.add(
                with_sources(done.text.strip() or "…", passages, self.settings.knowledge), flags
            ),
            persona=look(persona),
            versions=Versions(reply_id, 1, 1),
            line_id=line_id,
        )
        return answer, True, said_id

    async def _store_reply(
        self,
        owner: OwnerKey,
        ctx: Context,
        persona: Persona,
        reply: Completion,
        status: str,
        chat: int,
        heard_others: bool = False,
    ) -> int:
        """The model's reply (whole, or "cut" when its stream broke off) with its usage."""
        return await self.turns.add_assistant(
            owner,
            ctx.space_id,
            reply.text,
            model=reply.model,
            persona_name=persona.name,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            status=status,
            chat_id=chat,
            heard_others=heard_others,
        )

    async def _after_retirement(self, ctx: Context, stored: Persona) -> Reply:
        """First message to a persona that has retired: its farewell (once), then the default."""
        fallback = await self.personas.default(ctx)
        await self.personas.repo.set_active(ctx.user_id, ctx.space_id, fallback.id)
        note = (
            f"({stored.display_name} has retired. You're now talking to "
            f"{fallback.display_name} — send your message again.)"
        )
        if await self.retirement.farewells.take(ctx.user_id, stored.id, utcnow()):
            farewell = self.retirement.farewell_text(stored)
            return Reply(text=f"{farewell}\n\n{note}", persona=look(stored))
        return Reply(text=note, persona=look(fallback))

    async def command(self, call: CommandCall, progress: ProgressSink | None = None) -> Reply:
        """Run a declared command (rights, confirmation and errors: the dispatcher's);
        `progress` hears how far long work (indexing a document) has come."""
        return await self.dispatch.command(call, progress)

    async def confirm(self, token: str, who: Who, accept: bool) -> Reply:
        """Answer a pending confirmation (buttons, or yes/no on text surfaces)."""
        return await self.dispatch.confirm(token, who, accept)

    async def handle_text(
        self,
        who: Who,
        text: str,
        on_chunk: ChunkSink | None = None,
        attachments: tuple[Attachment, ...] = (),
        progress: ProgressSink | None = None,
    ) -> Reply:
        """Text surfaces: a leading / is a command in the shared grammar, anything else a turn
        (`progress`: how far a long command has come)."""
        text = clean(text)
        if not text.lstrip().startswith("/"):
            return await self.chat(Incoming(who, text, attachments), on_chunk)
        try:
            spec, args = parse(text, REGISTRY)
        except BadInput as err:
            return Reply(text=err.message, error=True, ephemeral=True)
        return await self.command(CommandCall(who, spec.path, args, attachments), progress)

    async def delivered(self, line_id: int | None, message_ref: str) -> None:
        """An adapter posted a persona's line as message `message_ref` (a reply to it then
        finds it)."""
        if line_id is not None and message_ref:
            await self.group.delivered(line_id, message_ref)

    async def look_for(self, incoming: Incoming) -> Look:
        """Who will answer this message: in a scene, the persona it picks (kept for the
        turn), else the user's active persona — adapters stream as it."""
        ctx = await self.context(incoming.who)
        first = await self.scenes.choose_early(ctx, incoming)
        return look(first) if first is not None else await self.active_look(incoming.who)

    async def active_look(self, who: Who) -> Look:
        """The persona this user currently talks to here."""
        # Every Discord and Telegram message asks: the cached choice, no fresh read.
        return look(await self.personas.chosen(await self.context(who)))

    def command_list(self) -> list[CommandSpec]:
        """Declared commands, for adapters that build menus."""
        return list(self.commands.values())
