"""Scenes: several personas taking turns in one channel — who answers a message, and the
queue of those still to speak after it (persona to persona at most scene.max_chain times)."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field

from bot.config import Settings
from bot.context import Context
from bot.messages import Incoming
from bot.persona_service import PersonaService
from personas.model import Persona
from personas.traits import describe_traits
from storage.channel_lines import ChannelLines
from storage.scenes import Scene, SceneRepo

_WORD = re.compile(r"[a-z0-9']{3,}")
# Words too common to tell personas apart.
_COMMON_WORDS = (
    "the and you your are for with that this what have has was were will can not but from "
    "they them their there here about just like know think want need how why who when which "
    "would could should does did its it's i'm you're don't"
)
_COMMON = frozenset(_COMMON_WORDS.split())


def words(text: str) -> set[str]:
    """The telling words of a text (lower case, three letters or more, common ones left out)."""
    return {w for w in _WORD.findall(text.lower()) if w not in _COMMON}


def named_in(text: str, cast: list[Persona]) -> list[Persona]:
    """The personas of `cast` a text names (display name or handle, as whole words, or
    @name), in the order the text names them."""
    found: list[tuple[int, Persona]] = []
    for p in cast:
        names = {p.display_name, p.name}
        spots = [
            m.start()
            for n in names
            if n
            for m in re.finditer(rf"(?<![\w@])@?{re.escape(n)}(?!\w)", text, re.IGNORECASE)
        ]
        if spots:
            found.append((min(spots), p))
    return [p for _, p in sorted(found, key=lambda x: x[0])]


def profile(p: Persona) -> set[str]:
    """What a persona is about: its names, bio, style, domains, traits and card text."""
    card = p.card
    parts = [
        p.display_name,
        p.name,
        p.bio,
        p.style,
        " ".join(p.domains),
        describe_traits(p.traits, p.custom_traits),
        str(card.get("description", ""))[:1000],
        str(card.get("personality", ""))[:500],
    ]
    return words(" ".join(parts))


@dataclass(frozen=True)
class Step:
    """A persona still to speak: answering a person's message, or (`after`) another
    persona's line."""

    persona: Persona
    incoming: Incoming
    after: str = ""  # "Name: text" of the persona line it answers
    line_id: int | None = None  # the channel line it answers (shown once, not twice)

    @property
    def chained(self) -> bool:
        """Persona to persona, with no person's message in between."""
        return bool(self.after)


@dataclass
class _Queue:
    steps: deque[Step] = field(default_factory=deque)
    chained: int = 0  # persona-to-persona replies since the last person's message


class Scenes:
    """Reads scenes and decides who speaks; the queue lives in this process (a restart
    forgets who was still to answer, never the scene)."""

    def __init__(
        self,
        repo: SceneRepo,
        lines: ChannelLines,
        personas: PersonaService,
        settings: Settings,
    ) -> None:
        self.repo = repo
        self.lines = lines
        self.personas = personas
        self.settings = settings
        self._queues: dict[tuple[int, str], _Queue] = {}
        # Speakers chosen for a message before its turn runs (the adapter needed the first
        # one's face to stream as it): the turn uses the same choice.
        self._chosen: dict[tuple[int, str, str], list[Persona]] = {}

    def _key(self, ctx: Context, incoming: Incoming) -> tuple[int, str, str]:
        return (ctx.space_id, ctx.who.channel_ref, incoming.message_ref or incoming.text)

    async def choose(
        self, ctx: Context, scene: Scene, cast: list[Persona], incoming: Incoming, text: str
    ) -> list[Persona]:
        """Who answers this message: chosen once, whether the adapter asked first or not."""
        chosen = self._chosen.pop(self._key(ctx, incoming), None)
        return chosen or await self.speakers(scene, cast, text)

    async def choose_early(self, ctx: Context, incoming: Incoming) -> Persona | None:
        """The first to answer a message in a scene, decided now and kept for its turn."""
        scene = await self.here(ctx)
        cast = await self.cast(scene) if scene is not None else []
        if scene is None or not cast:
            return None
        if len(self._chosen) > 1000:  # turns that never ran (a crash in between)
            self._chosen.clear()
        chosen = await self.speakers(scene, cast, incoming.text)
        self._chosen[self._key(ctx, incoming)] = chosen
        return chosen[0]

    async def here(self, ctx: Context) -> Scene | None:
        """The scene in this channel (never in a DM)."""
        if ctx.private_space:
            return None
        return await self.repo.here(ctx.space_id, ctx.who.channel_ref)

    async def cast(self, scene: Scene) -> list[Persona]:
        """The scene's personas that still exist and are active, in speaking order."""
        found = [await self.personas.get(i) for i in scene.persona_ids]
        return [p for p in found if p is not None and p.status == "active" and p.enabled]

    async def speakers(self, scene: Scene, cast: list[Persona], text: str) -> list[Persona]:
        """Who answers a person's message: those it names, else by scene.mode."""
        named = named_in(text, cast)
        if named:
            return named
        mode = self.settings.scene.mode
        if mode == "all":
            return list(cast)
        if mode == "round_robin":
            index = scene.next_index % len(cast)
            await self.repo.advance(scene.id, (index + 1) % len(cast))
            return [cast[index]]
        return [await self._best_fit(scene, cast, text)]

    async def _best_fit(self, scene: Scene, cast: list[Persona], text: str) -> Persona:
        """natural: the persona whose profile and recent lines share most words with the
        message; ties go to whoever spoke least recently (the last speaker yields)."""
        recent = await self.lines.recent(scene.space_id, scene.channel_ref, 40)
        said: dict[int, list[str]] = {}
        last: dict[int, int] = {}
        for line in recent:
            if line.persona_id is not None:
                said.setdefault(line.persona_id, []).append(line.text)
                last[line.persona_id] = line.id
        asked = words(text)

        def score(p: Persona) -> tuple[int, int]:
            known = profile(p) | words(" ".join(said.get(p.id, [])[-3:]))
            return (len(asked & known), -last.get(p.id, 0))

        return max(cast, key=score)

    def begin(self, ctx: Context, steps: list[Step]) -> None:
        """A person spoke: these answer next (the chain count starts again)."""
        self._queues[(ctx.space_id, ctx.who.channel_ref)] = _Queue(deque(steps))

    def chain(
        self,
        ctx: Context,
        cast: list[Persona],
        speaker: Persona,
        said: str,
        line_id: int | None,
    ) -> None:
        """A persona named another in its line: that one answers, within scene.max_chain."""
        queue = self._queues.setdefault((ctx.space_id, ctx.who.channel_ref), _Queue())
        if queue.chained >= self.settings.scene.max_chain:
            return
        waiting = {s.persona.id for s in queue.steps}
        named = [p for p in named_in(said, cast) if p.id != speaker.id and p.id not in waiting]
        if named:
            queue.chained += 1
            incoming = Incoming(ctx.who, said)
            after = f"{speaker.display_name}: {said}"
            queue.steps.append(Step(named[0], incoming, after, line_id))

    def next(self, ctx: Context) -> Step | None:
        """Who speaks next here, without taking the turn."""
        queue = self._queues.get((ctx.space_id, ctx.who.channel_ref))
        return queue.steps[0] if queue and queue.steps else None

    def pop(self, ctx: Context) -> Step | None:
        """Take the next speaker's turn."""
        queue = self._queues.get((ctx.space_id, ctx.who.channel_ref))
        return queue.steps.popleft() if queue and queue.steps else None

    def drop(self, ctx: Context) -> None:
        """Forget who was still to speak here (the scene ended or changed)."""
        self._queues.pop((ctx.space_id, ctx.who.channel_ref), None)
