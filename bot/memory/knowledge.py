"""The LLM pass that keeps a persona's shared knowledge: general lessons, never personal data."""

from __future__ import annotations

import json
import logging

from bot.llm import LLM, LLMFailure
from personas.knowledge import LIMIT, proper_nouns, scrub
from personas.model import Persona
from storage.personas import PersonaRepo

log = logging.getLogger(__name__)

INSTRUCTIONS = f"""You keep a persona's shared notebook: short, general lessons that help it \
serve everyone it talks to (what people often need, what explanations work, what to avoid). \
Rewrite the notebook given one new exchange. Rules: never include names, places, contact \
details, dates, numbers or anything that could identify a person; keep it under {LIMIT} \
characters; keep earlier lessons unless the exchange shows they are wrong. \
Return JSON only: {{"knowledge": "<the whole notebook>"}}"""


class KnowledgeKeeper:
    """Updates Persona.knowledge from exchanges; output is scrubbed before it is stored."""

    def __init__(self, personas: PersonaRepo, llm: LLM, model: str, every: int) -> None:
        self.personas = personas
        self.llm = llm
        self.model = model
        self.every = every

    def due(self, persona: Persona) -> bool:
        """Every `every`-th use of a persona triggers a pass (0 turns the pass off)."""
        return self.every > 0 and persona.usage_count % self.every == 0

    async def learn(self, persona: Persona, user_text: str, reply: str, user_name: str) -> bool:
        """One pass; False when the model failed (the notebook stays as it was)."""
        messages = [
            {"role": "system", "content": INSTRUCTIONS},
            {
                "role": "user",
                "content": f"Notebook:\n{persona.knowledge or '(empty)'}\n\n"
                f"Exchange:\nUser: {user_text}\nReply: {reply[:1000]}",
            },
        ]
        try:
            answer = await self.llm.complete(messages, self.model, 0.0, json_mode=True)
            text = str(json.loads(answer.text[answer.text.find("{") :])["knowledge"])
        except (LLMFailure, ValueError, KeyError, TypeError) as exc:
            log.warning("knowledge pass for %s failed: %s", persona.name, type(exc).__name__)
            return False
        names = {user_name, *user_name.split(), *proper_nouns(user_text), *proper_nouns(reply)}
        names -= {persona.display_name, persona.name}
        clean = scrub(text, names=names, keep=[persona.display_name])
        await self.personas.update(persona.id, {"knowledge": clean})
        return True
