"""Mixed into Core: what a turn does around the model — hear a voice message, recall and keep
memories while the model answers, speak the reply."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.errors import BadInput
from bot.messages import Incoming, Reply
from bot.voice.providers import SpeechFailed
from bot.voice.sniff import is_audio
from personas.prompt import MemoryLine
from storage.keys import OwnerKey

if TYPE_CHECKING:
    from bot.config import Settings
    from bot.context import Context
    from bot.conversation import Window
    from bot.memory.extract import Extractor
    from bot.memory.service import MemoryService
    from bot.voice.service import VoiceService
    from personas.model import Persona
    from storage.usage import UsageRepo
    from storage.voice_prefs import VoicePrefRepo

log = logging.getLogger(__name__)


class TurnParts:
    """Core's voice and memory steps of a turn (Core provides the collaborators)."""

    settings: Settings
    memory: MemoryService | None
    voice: VoiceService | None
    voice_prefs: VoicePrefRepo
    usage: UsageRepo
    extractor: Extractor | None

    async def _transcript(self, incoming: Incoming) -> str:
        """A voice message becomes the text of the turn."""
        audio = next((a for a in incoming.attachments if is_audio(a)), None)
        if audio is None:
            raise BadInput("the message is empty")
        if self.voice is None:
            raise BadInput("I can't listen to voice messages here")
        text = await self.voice.transcribe(audio)
        if not text:
            raise BadInput("I couldn't make out any words in that voice message")
        return text

    async def voice_on(self, ctx: Context) -> bool:
        """Does this user hear replies in this space?"""
        chosen = await self.voice_prefs.get(ctx.user_id, ctx.space_id)
        return self.settings.voice.default_on if chosen is None else chosen

    async def _spoken(
        self, ctx: Context, owner: OwnerKey, persona: Persona, reply: Reply
    ) -> Reply:
        """Attach the reply spoken; a speech failure costs only the audio, with a short note."""
        assert self.voice is not None
        try:
            spoken = await self.voice.speak(reply.text, self.voice.voice_for(persona))
        except SpeechFailed as exc:
            return replace(reply, text=f"{reply.text}\n\n(no voice this time: {exc})")
        except Exception:
            log.exception("speaking a reply failed")
            return replace(reply, text=f"{reply.text}\n\n(no voice this time)")
        if spoken.characters:
            await self.usage.add_speech(
                owner, ctx.space_id, persona.name, self.voice.name, spoken.characters
            )
        return replace(reply, attachments=(*reply.attachments, spoken.audio))

    async def _recall_and_remember(
        self,
        owner: OwnerKey,
        text: str,
        turn_id: int,
        window: Window,
        space_id: int,
        here: int | None,
    ) -> tuple[list[MemoryLine], asyncio.Future[None] | None, asyncio.Future[Any] | None]:
        """Recall what helps with `text`, and start keeping `text` as an episode (one
        embedding, also returned for the persona's documents); the keeping runs while the
        model answers and is awaited before the turn ends, so the user's next turn finds it."""
        if self.memory is None or not self.settings.memory.enabled:
            return [], None, None
        memory = self.memory
        # Full-text search runs while the message is embedded; the vector is reused below.
        vector = asyncio.ensure_future(memory.embed(text))
        try:
            shown = {t.id for t in window.history}  # already verbatim in the prompt
            recalled, facts = await memory.recall_with_facts(
                owner, text, vector=vector, exclude_turns=shown, in_space=here
            )
            if self.extractor is not None:
                self.extractor.hint(turn_id, facts)
        except Exception:  # memory must never cost the user a reply
            log.exception("recall failed; answering without it")
            recalled = []

        async def keep() -> None:
            try:
                await memory.remember(
                    owner,
                    text,
                    kind="episode",
                    source_turn_id=turn_id,
                    vector=await vector,
                    space_id=space_id,
                )
            except Exception:
                log.exception("storing the episode failed; the message itself is saved")

        lines = [
            MemoryLine(r.item.created_at, r.item.text, r.item.kind)
            for r in recalled
            if r.item.id != window.summary_memory  # the summary is in the prompt already
        ]
        return lines, asyncio.ensure_future(keep()), vector
