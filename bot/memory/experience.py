"""The pass that keeps a persona's experience block per profile: what it has learned serving
people of one `<industry>_<role>`, never anything of one person.

The same three rules as the shared knowledge (bot/memory/knowledge.py) hold, per profile: the
pass runs for a profile only once `min_users` users with it have talked to the persona, a line
survives only if every word of it was said by at least that many of them (or by none), and the
result is scrubbed (personas/pii.py, with every one of their names) before it is stored.
"""

from __future__ import annotations

import asyncio
import json
import logging

from bot.llm import LLM, LLMFailure
from bot.memory.knowledge import WINDOW, generic_lines, scrubbed
from personas.knowledge import scrub
from personas.model import Persona
from personas.profiles import EXPERIENCE_LIMIT
from storage.identities import Identities
from storage.profiles import ProfileRepo
from storage.turns import TurnRepo

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "You keep a short notebook of what you have learned helping people who work as {role} in "
    "the {industry} industry: their usual questions, needs, terms and what helped them. Write "
    "general lessons only — never a person's name, contact, number, address, or anything one "
    "person told you — as short lines. Update the notebook with the new messages. Answer as "
    'JSON: {{"experience": "line 1\\nline 2"}}.'
)


class ExperienceKeeper:
    """Refreshes a persona's experience blocks from what users of each profile said."""

    def __init__(
        self,
        profiles: ProfileRepo,
        turns: TurnRepo,
        identities: Identities,
        llm: LLM,
        model: str,
        min_users: int,
    ) -> None:
        self.profiles = profiles
        self.turns = turns
        self.identities = identities
        self.llm = llm
        self.model = model
        self.min_users = min_users

    async def refresh(self, persona: Persona) -> list[str]:
        """One pass over the persona's recent messages; the profiles whose block it wrote."""
        said = await self.turns.said_to(persona.id, WINDOW)
        by_profile: dict[str, list[tuple[int, str]]] = {}
        for user_id, text in said:
            found = await self.profiles.of_user(user_id)
            if found is not None:
                by_profile.setdefault(found[0], []).append((user_id, text))
        written = []
        for name, theirs in sorted(by_profile.items()):
            if len({u for u, _ in theirs}) >= self.min_users and await self._one(
                persona, name, theirs
            ):
                written.append(name)
        return written

    async def _one(self, persona: Persona, name: str, said: list[tuple[int, str]]) -> bool:
        profile = await self.profiles.get(name)
        if profile is None:
            return False
        people = [await self.identities.name(u) for u in {u for u, _ in said}]
        sample = await asyncio.to_thread(scrubbed, [text for _, text in said[:60]], people)
        current = await self.profiles.block(persona.id, name)
        notebook = "\n".join(f"> {line}" for line in current.splitlines()) or "(empty)"
        system = INSTRUCTIONS.format(
            role=profile.role.replace("_", " "), industry=profile.industry.replace("_", " ")
        )
        messages = [
            {"role": "system", "content": system},
            {"role": "user", "content": f"Notebook:\n{notebook}\n\nMessages:\n{sample}"},
        ]
        try:
            answer = await self.llm.complete(messages, self.model, 0.0, json_mode=True)
            text = str(json.loads(answer.text[answer.text.find("{") :])["experience"])
        except (LLMFailure, ValueError, KeyError, TypeError) as exc:
            log.warning(
                "experience pass for %s/%s failed: %s", persona.name, name, type(exc).__name__
            )
            return False
        lines = generic_lines(text, said, self.min_users)
        clean = await asyncio.to_thread(scrub, "\n".join(lines), people, [persona.display_name])
        await self.profiles.set_block(persona.id, name, clean[:EXPERIENCE_LIMIT])
        return True
