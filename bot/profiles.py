"""Users' professional profiles (`<industry>_<role>`) and the experience block a persona keeps
for each: set by the user, or inferred (optional) and told once; the block goes into the
prompt of every user of the persona who has that profile."""

from __future__ import annotations

import asyncio
import json
import logging

from bot.config import ProfilesConfig
from bot.context import Context
from bot.errors import BadInput
from bot.llm import LLM, LLMFailure, is_embedded
from personas.profiles import Profile, parse
from storage.profiles import ProfileRepo
from storage.turns import TurnRepo

log = logging.getLogger(__name__)

INFER = (
    "From the messages one person wrote, guess the industry they work in and their role, as "
    'JSON: {"industry": "...", "role": "...", "confidence": 0.0-1.0}. Use short lowercase '
    'words, e.g. {"industry": "qsr", "role": "real estate", "confidence": 0.9}; when the '
    'messages don\'t say, answer {"industry": "", "role": "", "confidence": 0}.'
)


class Profiles:
    """A user's profile, the experience attached to their prompts, and the inference pass."""

    def __init__(
        self, repo: ProfileRepo, cfg: ProfilesConfig, llm: LLM, turns: TurnRepo, model: str
    ) -> None:
        self.repo = repo
        self.cfg = cfg
        self.llm = llm
        self.turns = turns
        self.model = model
        self._told: dict[int, str] = {}  # user id → a note owed on their next reply
        self._tasks: set[asyncio.Task[Profile | None]] = set()
        self._count: dict[int, int] = {}  # user id → messages seen by this process
        self.inferring = cfg.infer and not is_embedded(model)
        if cfg.infer and not self.inferring:
            log.info("profile inference off: the embedded model can't judge a profile")

    async def resolve(
        self, profile: str | None, industry: str | None, role: str | None
    ) -> Profile:
        """A valid profile from what was given (see personas.profiles.parse)."""
        return parse(profile, industry, role, await self.repo.industries())

    async def choose(self, ctx: Context, p: Profile, source: str = "user") -> bool:
        """Give the user `p` (created on first use); True when the profile is new."""
        created = await self.repo.ensure(p)
        await self.repo.set_user(ctx.user_id, p.name, source)
        return created

    async def current(self, ctx: Context) -> str | None:
        """The user's profile name, if any."""
        found = await self.repo.of_user(ctx.user_id)
        return found[0] if found else None

    async def experience(self, user_id: int, persona_id: int) -> tuple[str, str]:
        """(profile, block) to attach to this user's prompt with this persona ("" when none):
        read through the turn's cache, so a changed profile applies on the next turn."""
        found = await self.repo.of_user(user_id)
        if found is None:
            return "", ""
        return found[0], await self.repo.block(persona_id, found[0])

    def owed_note(self, user_id: int) -> str:
        """A note to add under this user's next reply (an inferred profile), once."""
        return self._told.pop(user_id, "")

    def after_turn(self, ctx: Context) -> None:
        """Every `profiles.every` messages of a user (counted here) without a profile, infer
        one in the background — when `profiles.infer` is on."""
        if not self.inferring:
            return
        self._count[ctx.user_id] = n = self._count.get(ctx.user_id, 0) + 1
        if n % self.cfg.every:
            return
        task = asyncio.ensure_future(self.infer(ctx))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def wait(self) -> None:
        """Let running inference passes finish."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def infer(self, ctx: Context) -> Profile | None:
        """Guess the user's profile from their own messages; set it when the guess is sure
        enough and they have none, and owe them a note saying so."""
        if await self.repo.of_user(ctx.user_id) is not None:
            return None
        said = await self.turns.said_by(ctx.user_id, 40)
        if not said:
            return None
        messages = [
            {"role": "system", "content": INFER},
            {"role": "user", "content": "\n".join(f"- {t[:300]}" for t in said)},
        ]
        try:
            answer = await self.llm.complete(messages, self.model, 0.0, json_mode=True)
            guess = json.loads(answer.text[answer.text.find("{") :])
            confidence = float(guess.get("confidence", 0))
            p = await self.resolve(None, str(guess["industry"]), str(guess["role"]))
        except (LLMFailure, ValueError, KeyError, TypeError, BadInput) as exc:
            log.info("profile inference failed: %s", type(exc).__name__)
            return None
        if confidence < self.cfg.min_confidence:
            return None
        await self.choose(ctx, p, "inferred")
        self._told[ctx.user_id] = (
            f"(From what you wrote I took you to work in {p.industry.replace('_', ' ')} as "
            f"{p.role.replace('_', ' ')} — profile {p.name} — so I draw on what I learned "
            "helping people like you. /me profile clear undoes it.)"
        )
        return p
