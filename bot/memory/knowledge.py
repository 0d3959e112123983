"""The pass that keeps a persona's shared knowledge: generic lessons, never one person's data.

The notebook is read by every user of the persona, so what goes in must not be traceable to
any one of them, whatever the model does. Three rules make that hold even for a model that
copies user text into its answer:

1. The pass runs only once `min_users` different users have talked to the persona, and it sees
   their messages scrubbed of contacts and numbers, labelled by turn, never by name.
2. Every line of the model's answer is checked word by word against what each user said: a
   line that uses a word only one or a few users (fewer than `min_users`) ever said is dropped —
   names, codes, pets, quoted secrets all are such words. Words nobody said are the model's own.
3. The result is scrubbed once more (contacts, numbers, addresses, names inside sentences).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable

from bot.llm import LLM, LLMFailure
from personas.knowledge import LIMIT, scrub
from personas.model import Persona
from storage.personas import PersonaRepo
from storage.turns import TurnRepo

log = logging.getLogger(__name__)

WINDOW = 300  # newest user messages the pass looks at
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)
# Too common to identify anyone; everything else a user said counts.
_STOP = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "then",
        "so",
        "to",
        "of",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "am",
        "i",
        "you",
        "he",
        "she",
        "it",
        "we",
        "they",
        "me",
        "my",
        "your",
        "our",
        "their",
        "this",
        "that",
        "these",
        "those",
        "what",
        "which",
        "who",
        "how",
        "do",
        "does",
        "did",
        "not",
        "no",
        "yes",
        "can",
        "could",
        "will",
        "would",
        "should",
        "may",
        "might",
        "just",
        "very",
        "really",
        "about",
    }
)

INSTRUCTIONS = f"""You keep a persona's shared notebook: short, general lessons that help it \
serve everyone it talks to (what people often ask, which explanations work, what to avoid). \
Below are messages from several different people. Write lessons about patterns, never about \
one person: no names, places, contact details, dates, numbers, codes or quotes. Keep it under \
{LIMIT} characters; keep earlier lessons unless the messages show they are wrong. \
Return JSON only: {{"knowledge": "<the whole notebook, one lesson per line>"}}"""


def words(text: str) -> set[str]:
    """The lower-cased words of `text` that could identify someone (stop words left out)."""
    return {w.lower() for w in _WORD.findall(text) if w.lower() not in _STOP}


def _flat(text: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(text))


def scrubbed(texts: list[str], names: Iterable[str]) -> str:
    """Messages for a pass, each scrubbed and cut, one per line (run in a worker thread:
    Presidio is CPU work)."""
    return "\n".join(f"- {scrub(text, names)[:300]}" for text in texts)


def generic_lines(answer: str, said: Iterable[tuple[int, str]], min_users: int) -> list[str]:
    """Lines of `answer` none of whose words were said by fewer than `min_users` users, and
    that do not repeat any message word for word."""
    speakers: dict[str, set[int]] = {}
    verbatim = []
    for user_id, text in said:
        for word in words(text):
            speakers.setdefault(word, set()).add(user_id)
        verbatim.append(f" {_flat(text)} ")
    kept = []
    for line in answer.splitlines():
        line = line.strip(" \t-•*>")
        flat = _flat(line)
        if not flat or any(ch.isdigit() for ch in line):
            continue
        rare = [w for w in words(line) if 0 < len(speakers.get(w, ())) < min_users]
        copied = len(flat.split()) >= 3 and any(f" {flat} " in t for t in verbatim)
        if not rare and not copied:
            kept.append(line)
    return kept


class KnowledgeKeeper:
    """Refreshes Persona.knowledge from what many users said; see the module's rules."""

    def __init__(
        self,
        personas: PersonaRepo,
        turns: TurnRepo,
        llm: LLM,
        model: str,
        every: int,
        min_users: int,
    ) -> None:
        self.personas = personas
        self.turns = turns
        self.llm = llm
        self.model = model
        self.every = every
        self.min_users = min_users

    def due(self, persona: Persona, since: int | None = None) -> bool:
        """Every `every`-th use of a persona triggers a pass (0 turns the pass off); with
        `since` (the use count last checked), any multiple passed since then counts."""
        if self.every <= 0:
            return False
        if since is None:
            return persona.usage_count % self.every == 0
        return persona.usage_count // self.every > since // self.every

    async def learn(self, persona: Persona) -> bool:
        """One pass; False when it did not run (too few users) or the model failed."""
        said = await self.turns.said_to(persona.id, WINDOW)
        if len({user for user, _ in said}) < self.min_users:
            return False
        sample = await asyncio.to_thread(scrubbed, [text for _, text in said[:60]], ())
        notebook = "\n".join(f"> {line}" for line in persona.knowledge.splitlines()) or "(empty)"
        messages = [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": f"Notebook:\n{notebook}\n\nMessages:\n{sample}"},
        ]
        try:
            answer = await self.llm.complete(messages, self.model, 0.0, json_mode=True)
            text = str(json.loads(answer.text[answer.text.find("{") :])["knowledge"])
        except (LLMFailure, ValueError, KeyError, TypeError) as exc:
            log.warning("knowledge pass for %s failed: %s", persona.name, type(exc).__name__)
            return False
        lines = generic_lines(text, said, self.min_users)
        clean = await asyncio.to_thread(scrub, "\n".join(lines), (), [persona.display_name])
        await self.personas.update(persona.id, {"knowledge": clean})
        return True
