"""Budgets and limits: checked before a turn stores anything; refusals say which limit, what is
left and when it resets. Limits come from config, then the space's, then the user's own."""

from __future__ import annotations

import contextlib
import math
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bot.config import BudgetsConfig
from bot.context import Context
from bot.errors import BadInput, LimitExceeded
from storage.budgets import BudgetRepo
from storage.identities import Identities
from storage.models import utcnow

SPACE_S = 2.0  # seconds a space's token totals are reused before they are read again
# Seconds a user's token totals are reused: their turns in this process are added as they
# are stored, so only another process's turns for them in that time can be missed.
USER_S = 60.0
OVERRIDES_S = 5.0  # seconds another process's /limits change may take to apply here
USER_KEYS = ("messages_per_minute", "tokens_per_day", "tokens_per_month", "spoken_chars_per_day")
KEYS = (*USER_KEYS, "space_tokens_per_day", "space_tokens_per_month", "concurrent_turns_per_space")


@dataclass
class Held:
    """Totals held for a user or a space: what the database said (through row `last_id`)
    and what this process's replies spent since."""

    read_at: float
    day: datetime
    base: tuple[int, int, int]  # tokens today, tokens this month, characters spoken today
    last_id: int
    pending: int = 0

    def totals(self) -> tuple[int, int, int]:
        """Tokens today and this month, characters today."""
        return self.base[0] + self.pending, self.base[1] + self.pending, self.base[2]


def _day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _month(now: datetime) -> datetime:
    return _day(now).replace(day=1)


def _next_month(now: datetime) -> datetime:
    first = _month(now)
    return first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)


def _in(delta: timedelta) -> str:
    minutes = max(1, math.ceil(delta.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = (
        [f"{days} d"] * bool(days)
        + [f"{hours} h"] * bool(hours)
        + [f"{minutes} min"] * bool(minutes)
    )
    return " ".join(parts[:2])


class Budgets:
    """The limits in force for a user in a space, and the checks a turn passes first."""

    def __init__(
        self,
        repo: BudgetRepo,
        identities: Identities,
        cfg: BudgetsConfig,
        clock: Callable[[], datetime] = utcnow,
        seconds: Callable[[], float] = time.time,
    ) -> None:
        self.repo = repo
        self.identities = identities
        self.cfg = cfg
        self.clock = clock
        self.seconds = seconds
        self._running: Counter[int] = Counter()  # space id: turns being answered
        # Every override, read at most every OVERRIDES_S (a table of a few rows): another
        # process's /limits set reaches this one within that; this process's at once.
        self._overrides: dict[str, dict[str, int]] | None = None
        self._spaces: dict[int, Held] = {}
        self._users: dict[int, Held] = {}
        self._told: set[int] = set()  # users whose turn reported its spending (spent())
        self._read_at = 0.0

    async def user_id(self, platform: str, ref: str) -> int:
        """The id of a user named by their platform id (known from now on if new)."""
        return await self.identities.user(platform, ref.strip())

    async def as_user(self, ctx: Context, ref: str) -> Context:
        """This place, as seen by another user of the platform (what /limits show shows)."""
        return replace(ctx, user_id=await self.user_id(ctx.who.platform, ref))

    async def limits(self, ctx: Context) -> dict[str, tuple[int, str]]:
        """Each limit in force here and where it comes from (config, space or user)."""
        now = time.monotonic()
        if self._overrides is None or now - self._read_at > OVERRIDES_S:
            self._overrides, self._read_at = await self.repo.all_overrides(), now
        space = self._overrides.get(f"space:{ctx.space_id}", {})
        user = self._overrides.get(f"user:{ctx.user_id}", {})
        out = {key: (int(getattr(self.cfg, key)), "config") for key in KEYS}
        out |= {k: (v, "space") for k, v in space.items() if k in KEYS}
        out |= {k: (v, "user") for k, v in user.items() if k in USER_KEYS}
        return out

    async def _in_force(self, ctx: Context) -> dict[str, int]:
        """Each limit's value here, without where it comes from."""
        return {key: value for key, (value, _) in (await self.limits(ctx)).items()}

    @contextlib.asynccontextmanager
    async def turn(self, ctx: Context) -> AsyncIterator[None]:
        """Refuse the turn (LimitExceeded) if a limit is reached; else hold a place in the
        space's concurrent turns while it runs. Checked in this order, the message bucket
        last, so a refusal for another limit costs the user no message."""
        limits = await self._in_force(ctx)
        busy = limits["concurrent_turns_per_space"]
        if busy and self._running[ctx.space_id] >= busy:
            raise LimitExceeded(
                f"{busy} replies are being written here already "
                "(budgets.concurrent_turns_per_space): try again in a moment"
            )
        await self._tokens(ctx, limits)
        await self._message(ctx, limits["messages_per_minute"])
        self._running[ctx.space_id] += 1
        self._told.discard(ctx.user_id)
        try:
            yield
        finally:
            self._running[ctx.space_id] -= 1
            if ctx.user_id not in self._told:  # it may have spent unreported: read again
                self._users.pop(ctx.user_id, None)
                self._spaces.pop(ctx.space_id, None)
            self._told.discard(ctx.user_id)

    async def _tokens(self, ctx: Context, limits: dict[str, int]) -> None:
        now = self.clock()
        day, month = _day(now), _month(now)
        tomorrow = day + timedelta(days=1)
        checks: list[tuple[str, datetime, str, int]] = []
        if limits["tokens_per_day"] or limits["tokens_per_month"]:
            mine = await self._held(self._users, ctx.user_id, USER_S, day, month)
            checks += [
                ("tokens_per_day", tomorrow, "You have", mine[0]),
                ("tokens_per_month", _next_month(now), "You have", mine[1]),
            ]
        if limits["space_tokens_per_day"] or limits["space_tokens_per_month"]:
            here = await self._held(self._spaces, ctx.space_id, SPACE_S, day, month)
            checks += [
                ("space_tokens_per_day", tomorrow, "This place has", here[0]),
                ("space_tokens_per_month", _next_month(now), "This place has", here[1]),
            ]
        for key, until, who, spent in checks:
            limit = limits[key]
            if limit and spent >= limit:
                period = "today" if key.endswith("day") else "this month"
                raise LimitExceeded(
                    f"{who} used {spent:,} of {limit:,} model tokens {period} (budgets.{key}): "
                    f"0 left until {until:%Y-%m-%d %H:%M} UTC, in {_in(until - now)}"
                )

    def spent(self, ctx: Context, tokens: int) -> None:
        """This turn's reply used `tokens`: the held totals of its user and space count them
        (a turn that reports nothing has its user's totals read again next time)."""
        self._told.add(ctx.user_id)
        for held, key in ((self._users, ctx.user_id), (self._spaces, ctx.space_id)):
            found = held.get(key)
            if found is not None:
                found.pending += tokens

    async def _held(
        self, held: dict[int, Held], key: int, fresh_s: float, day: datetime, month: datetime
    ) -> tuple[int, int, int]:
        """A user's or space's totals: read whole once a day, then every `fresh_s` only the
        usage rows added since (by any process); this process's replies count at once
        (`spent`), so a budget may run over only by what other processes' turns spend
        within `fresh_s`."""
        found = held.get(key)
        now = self.seconds()
        if found is not None and found.day == day and now - found.read_at <= fresh_s:
            return found.totals()
        whole = found is None or found.day != day
        after = 0 if whole or found is None else found.last_id
        who = {"user_id": key} if held is self._users else {"space_id": key}
        *new, last = await self.repo.totals_after(day, month, after, **who)
        if whole or found is None:
            held[key] = Held(now, day, (new[0], new[1], new[2]), last)
        else:
            base = found.base
            found.base = (base[0] + new[0], base[1] + new[1], base[2] + new[2])
            found.read_at, found.last_id, found.pending = now, last, 0
        return held[key].totals()

    async def _message(self, ctx: Context, per_minute: int) -> None:
        if not per_minute:
            return
        key, now = f"msg:user:{ctx.user_id}", self.seconds()
        if await self.repo.take(key, per_minute, per_minute / 60, now) is not None:
            return
        held = await self.repo.bucket(key)
        tokens = held[0] + (now - held[1]) * per_minute / 60 if held else 0.0
        wait = max(1, math.ceil((1 - tokens) * 60 / per_minute))
        raise LimitExceeded(
            f"slow down: at most {per_minute} messages a minute (budgets.messages_per_minute); "
            f"0 left, the next in {wait} s"
        )

    async def may_speak(self, ctx: Context, characters: int) -> str:
        """ "" if the reply may be spoken, else why not (the reply still goes out as text)."""
        limit = (await self._in_force(ctx))["spoken_chars_per_day"]
        if not limit:
            return ""
        now = self.clock()
        *_, spoken = await self.repo.totals(_day(now), _month(now), user_id=ctx.user_id)
        if spoken + characters <= limit:
            return ""
        until = _day(now) + timedelta(days=1)
        return (
            f"(not spoken: {spoken:,} of your {limit:,} spoken characters today are used "
            f"(budgets.spoken_chars_per_day); it resets in {_in(until - now)})"
        )

    async def remaining(self, ctx: Context) -> list[str]:
        """What is left of each limit set here, for /usage."""
        limits = await self._in_force(ctx)
        now = self.clock()
        day, month = _day(now), _month(now)
        none = (0, 0, 0)
        mine = none
        if any(limits[k] for k in ("tokens_per_day", "tokens_per_month", "spoken_chars_per_day")):
            mine = await self.repo.totals(day, month, user_id=ctx.user_id)
        here = none
        if limits["space_tokens_per_day"] or limits["space_tokens_per_month"]:
            here = await self.repo.totals(day, month, space_id=ctx.space_id)
        out = []
        for key, what, used in (
            ("tokens_per_day", "tokens today", mine[0]),
            ("tokens_per_month", "tokens this month", mine[1]),
            ("space_tokens_per_day", "tokens here today (everyone)", here[0]),
            ("space_tokens_per_month", "tokens here this month (everyone)", here[1]),
            ("spoken_chars_per_day", "spoken characters today", mine[2]),
        ):
            limit = limits[key]
            if limit:
                out.append(f"  {max(0, limit - used):,} of {limit:,} {what} left")
        if limits["messages_per_minute"]:
            out.append(f"  at most {limits['messages_per_minute']} messages a minute")
        return out

    async def set(self, scope: str, key: str, value: int) -> None:
        """Set a limit for a space or a user (the caller checked the right)."""
        allowed = USER_KEYS if scope.startswith("user:") else KEYS
        if key not in allowed:
            raise BadInput(
                f"no such limit for {scope.split(':')[0]}s: {key} (one of {', '.join(allowed)})"
            )
        if value < 0:
            raise BadInput("a limit is 0 (none) or more")
        await self.repo.set(scope, key, value)
        self._overrides = None  # this process sees it at once

    async def reset(self, scope: str, key: str | None = None) -> int:
        """Drop a scope's overrides (one, or all); returns how many."""
        gone = await self.repo.reset(scope, key)
        self._overrides = None
        return gone
