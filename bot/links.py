"""One person across platforms (PluralKit's link): a one-time code shown on one account and
entered on another makes both one user, with one set of personas, memories and settings.

Both accounts consent: one shows the code, the other enters it and confirms. A code is 10
characters of Crockford base32 (50 bits), kept only as a hash, valid 10 minutes and once; an
account may enter 5 codes per 10 minutes — guessing one is out of reach.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from datetime import timedelta

from bot.context import Context
from bot.errors import BadInput, LimitExceeded
from storage.budgets import BudgetRepo
from storage.identities import Identities
from storage.links import LinkRepo
from storage.models import utcnow

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's: no I, L, O, U
CODE_CHARS = 10
CODE_TTL = timedelta(minutes=10)
ATTEMPTS = 5  # codes an account may enter per ATTEMPTS_S
ATTEMPTS_S = 600.0


def normal(code: str) -> str:
    """A code as typed, read as Crockford does: any case, dashes and spaces ignored, O as 0
    and I or L as 1."""
    text = "".join(code.split()).replace("-", "").upper()
    return text.translate(str.maketrans("OIL", "011"))


def _hash(code: str) -> str:
    return hashlib.sha256(normal(code).encode()).hexdigest()


class Links:
    """Codes, links and unlinks; the core drops its cached ids when they change."""

    def __init__(
        self,
        repo: LinkRepo,
        identities: Identities,
        buckets: BudgetRepo,
        changed: Callable[[], None],
        seconds: Callable[[], float] = time.time,
    ) -> None:
        self.repo = repo
        self.identities = identities
        self.buckets = buckets
        self._changed = changed
        self.seconds = seconds

    async def _account(self, ctx: Context) -> int:
        return await self.identities.account(ctx.who.platform, ctx.who.user_ref)

    async def new_code(self, ctx: Context) -> str:
        """A fresh code for this account (any earlier one stops working)."""
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_CHARS))
        await self.repo.put_code(await self._account(ctx), _hash(code), utcnow() + CODE_TTL)
        return f"{code[:5]}-{code[5:]}"

    async def check(self, ctx: Context, code: str) -> tuple[str, str]:
        """The account that showed `code` — (platform, id) — if this account may link to it;
        every call is an attempt, and a sixth within 10 minutes is refused."""
        left = await self.buckets.take(
            f"link:{await self._account(ctx)}", ATTEMPTS, ATTEMPTS / ATTEMPTS_S, self.seconds()
        )
        if left is None:
            raise LimitExceeded(
                f"too many link codes tried: at most {ATTEMPTS} in {int(ATTEMPTS_S // 60)} "
                "minutes — wait, then ask for a fresh code"
            )
        if len(normal(code)) != CODE_CHARS or set(normal(code)) - set(ALPHABET):
            raise BadInput(
                "that is not a link code: it has 10 letters and digits, like 7K2QD-M9XTB"
            )
        owner = await self.repo.code_owner(_hash(code), utcnow())
        if owner is None:
            raise BadInput("that code is wrong or has expired — ask for a fresh one with /me link")
        return await self._check_owner(ctx, owner)

    async def _check_owner(self, ctx: Context, owner: int) -> tuple[str, str]:
        if owner == await self._account(ctx):
            raise BadInput("enter the code on your other account, not the one that showed it")
        if await self.repo.root(owner) == ctx.user_id:
            raise BadInput("these accounts are linked already")
        address = await self.identities.address(owner)
        assert address is not None  # the code's account exists: the code goes with it
        return address

    async def link(self, ctx: Context, code: str) -> tuple[str, str]:
        """Use the code: this account (and any acting as it) becomes the code's person."""
        owner = await self.repo.take_code(_hash(code), utcnow())
        if owner is None:
            raise BadInput("that code is wrong or has expired — ask for a fresh one with /me link")
        address = await self._check_owner(ctx, owner)
        await self.repo.link(await self._account(ctx), await self.repo.root(owner))
        self._changed()
        return address

    async def unlink(self, ctx: Context) -> int:
        """Split this account from its person (or, on the first account, the others from it);
        how many accounts act as themselves again."""
        moved = await self.repo.unlink(await self._account(ctx))
        if not moved:
            raise BadInput("this account isn't linked to another")
        self._changed()
        return len(moved)
