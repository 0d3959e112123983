"""Mood per (user, persona): read relaxed to now, moved by each message the user sends."""

from __future__ import annotations

from datetime import datetime

from bot.config import MoodConfig
from personas.model import Persona
from personas.mood import Mood, baseline, classify, react, relax
from storage.keys import OwnerKey
from storage.moods import MoodRepo


class Moods:
    """Lazily relaxed on read, so a mood is right even if the relaxing job never ran."""

    def __init__(self, repo: MoodRepo, config: MoodConfig) -> None:
        self.repo = repo
        self.config = config

    async def current(self, owner: OwnerKey, persona: Persona, now: datetime) -> Mood:
        """The mood now (the persona's baseline before the first message)."""
        rest = baseline(persona.traits)
        stored = await self.repo.get(owner)
        if stored is None:
            return rest
        emotion, intensity, since = stored
        return relax(Mood(emotion, intensity), rest, since, now, self.config.relax_half_life_hours)

    async def feel(self, owner: OwnerKey, persona: Persona, text: str, now: datetime) -> Mood:
        """The mood a user's message moves this persona to; the caller stores it (a turn
        stores it with the message, in one write)."""
        return react(await self.current(owner, persona, now), classify(text), persona.traits)
