"""Mixed into Core: the turns of a scene after its first answer — other personas answering the
same message, and personas answering each other (at most scene.max_chain times)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from bot.dispatch import clean, guard
from bot.errors import BadInput
from bot.llm import LLMFailure
from bot.messages import ChunkSink, Incoming, Reply, Who, WorkSignal
from bot.scenes import Step
from bot.surface import look
from personas.prompt import build_messages
from storage.keys import OwnerKey

if TYPE_CHECKING:
    from bot.channel_context import ChannelContext
    from bot.context import Context
    from bot.conversation import Conversation
    from bot.llm import LLM
    from bot.locks import KeyedLocks
    from bot.memory.extract import Extractor
    from bot.model_choice import ModelChoice
    from bot.scenes import Scenes
    from personas.model import Persona
    from storage.usage import UsageRepo


class SceneTurns:
    """Core's scene turns (Core provides the collaborators)."""

    scenes: Scenes
    group: ChannelContext
    conversation: Conversation
    llm: LLM
    locks: KeyedLocks
    models: ModelChoice
    extractor: Extractor | None
    usage: UsageRepo

    async def context(self, who: Who) -> Context:
        """Resolve platform identity to ids (Core provides it)."""
        raise NotImplementedError

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
        """A persona's answer to a person's message (Core provides it)."""
        raise NotImplementedError

    async def in_scene(self, who: Who) -> bool:
        """Does a scene run where `who` writes? (Another bot may take part only there, and
        only with scene.allow_bots.)"""
        return await self.scenes.here(await self.context(who)) is not None

    def _then(self, ctx: Context, cast: list[Persona], persona: Persona, reply: Reply) -> Reply:
        """After a persona spoke in a scene: queue whoever its line names, and tell the
        adapter who speaks next."""
        if not cast or reply.error:
            return reply
        self.scenes.chain(ctx, cast, persona, reply.text, reply.line_id)
        step = self.scenes.next(ctx)
        return replace(reply, next=look(step.persona)) if step is not None else reply

    async def scene_next(
        self,
        who: Who,
        on_chunk: ChunkSink | None = None,
        on_working: WorkSignal | None = None,
    ) -> Reply | None:
        """The next persona's turn in the scene of `who`'s channel, or None when no one is
        waiting to speak (another person's message may have taken the queue)."""
        ctx = await self.context(who)
        step = self.scenes.pop(ctx)
        if step is None:
            return None
        return await guard(self._step(ctx, step, on_chunk, on_working), "a scene turn")

    async def _step(
        self,
        ctx: Context,
        step: Step,
        on_chunk: ChunkSink | None,
        on_working: WorkSignal | None,
    ) -> Reply:
        scene = await self.scenes.here(ctx)
        cast = await self.scenes.cast(scene) if scene is not None else []
        persona = next((p for p in cast if p.id == step.persona.id), None)
        if persona is None:
            self.scenes.drop(ctx)
            raise BadInput(f"{step.persona.display_name} is no longer in a scene here")
        if step.chained:
            reply = await self._chain_answer(ctx, persona, step, on_chunk, on_working)
            return self._then(ctx, cast, persona, reply)
        asker = step.incoming.who
        async with self.locks.hold((asker.platform, asker.user_ref)):
            mine = await self.context(asker)
            text = clean(step.incoming.text).strip()
            reply, done, _ = await self._answer(
                mine, step.incoming, text, persona, on_chunk, on_working, step.line_id
            )
        if done and self.extractor is not None:
            self.extractor.schedule()
        return self._then(mine, cast, persona, reply)

    async def _chain_answer(
        self,
        ctx: Context,
        persona: Persona,
        step: Step,
        on_chunk: ChunkSink | None,
        on_working: WorkSignal | None,
    ) -> Reply:
        """A persona answering another's line: the channel is its whole context (no one's
        memories; its own documents), and the line is kept for the channel only."""
        heard = await self.group.heard(ctx, Incoming(ctx.who, ""), persona, set(), step.line_id)
        # Its own documents, like any answer of it: they are the persona's, not anyone's words.
        found = await self.conversation.passages(persona, step.after, None)
        messages = build_messages(
            persona,
            [],
            step.after,
            channel=heard.text,
            passages=[(c.source, c.text) for c in found],
        )
        model, temperature, _ = await self.models.effective(ctx, persona)
        if on_working is not None:
            await on_working(True)
        try:
            done = await self.llm.complete(messages, model, temperature, on_chunk)
        except LLMFailure as failure:
            return Reply(text=failure.message, persona=look(persona), error=True)
        finally:
            if on_working is not None:
                await on_working(False)
        await self.usage.add_chat(
            OwnerKey(ctx.user_id, persona.id),
            ctx.space_id,
            persona.name,
            done.model,
            done.prompt_tokens,
            done.completion_tokens,
        )
        line_id = await self.group.replied(ctx, persona, done.text, None)
        return Reply(text=done.text.strip() or "…", persona=look(persona), line_id=line_id)
