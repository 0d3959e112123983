"""Access lists (llmcord's convention): allowed and blocked users, roles and channels per
space, and a block list per platform kept by bot admins.

Bot admins are never barred. Space admins pass a space's user and role rules, and may run
commands anywhere in it (so they can always mend the lists); channel rules hold for everyone's
chat. In a DM or the console only the platform's block list applies: it is the user's own place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.config import AccessConfig
from bot.context import Context
from bot.errors import Barred
from bot.outbox import Outbox
from storage.access import AccessRepo, Rule

log = logging.getLogger(__name__)

RULES_S = 5.0  # seconds another process's /access change may take to apply here
NOTE_EVERY_S = 3600.0  # a blocked user hears the private note at most this often
REFUSED = "You can't use the bot here."


@dataclass(frozen=True)
class Lists:
    """One scope's rules, split for the checks a message passes."""

    allow: dict[str, frozenset[str]]
    block: dict[str, frozenset[str]]

    @classmethod
    def of(cls, rules: list[Rule]) -> Lists:
        """Group rules by mode and kind."""

        def refs(mode: str, kind: str) -> frozenset[str]:
            return frozenset(r.ref for r in rules if r.mode == mode and r.kind == kind)

        kinds = ("user", "role", "channel")
        return cls({k: refs("allow", k) for k in kinds}, {k: refs("block", k) for k in kinds})


def global_scope(platform: str) -> str:
    """The scope of a platform's block list."""
    return f"global:{platform}"


def space_scope(space_id: int) -> str:
    """The scope of one space's lists."""
    return f"space:{space_id}"


class Access:
    """Decides whether a user may use the bot where they are; tells a blocked user once."""

    def __init__(
        self,
        repo: AccessRepo,
        cfg: AccessConfig,
        outbox: Outbox,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.repo = repo
        self.cfg = cfg
        self.outbox = outbox
        self._clock = clock
        self._lists: dict[str, tuple[Lists, float]] = {}
        self._noted: dict[tuple[str, str], float] = {}

    async def lists(self, scope: str) -> Lists:
        """A scope's rules (cached for RULES_S, dropped at once by a change made here)."""
        cached = self._lists.get(scope)
        now = self._clock()
        if cached is not None and cached[1] > now:
            return cached[0]
        found = Lists.of(await self.repo.rules(scope))
        self._lists[scope] = (found, now + RULES_S)
        return found

    def changed(self, scope: str) -> None:
        """A rule of `scope` changed here: the next check reads it again."""
        self._lists.pop(scope, None)

    async def barred(self, ctx: Context, *, command: bool = False) -> bool:
        """Is this user kept out here? (`command`: a command, which space admins always pass.)"""
        who = ctx.who
        if ctx.bot_admin:
            return False
        platform = await self.lists(global_scope(who.platform))
        if who.user_ref in platform.block["user"]:
            return True
        if ctx.private_space or (ctx.space_admin and command):
            return False
        here = await self.lists(space_scope(ctx.space_id))
        if not ctx.space_admin and _user_barred(here, who.user_ref, who.roles):
            return True
        channels = {who.channel_ref, *who.channel_parents} - {""}
        if channels & here.block["channel"]:
            return True
        return bool(here.allow["channel"]) and not channels & here.allow["channel"]

    async def check(self, ctx: Context, *, command: bool = False) -> None:
        """Raise Barred (silent unless a note is configured) when the user is kept out."""
        if await self.barred(ctx, command=command):
            note = self.cfg.blocked_note
            raise Barred(note or REFUSED, silent=not note)

    async def turned_away(self, ctx: Context) -> bool:
        """For a chat message: True when the user is kept out — they get no answer, only the
        configured note, sent privately (at most once an hour)."""
        if not await self.barred(ctx):
            return False
        note = self.cfg.blocked_note
        key = (ctx.who.platform, ctx.who.user_ref)
        now = self._clock()
        if note and self._noted.get(key, float("-inf")) <= now - NOTE_EVERY_S:
            self._noted[key] = now
            if not await self.outbox.send(ctx.who.platform, ctx.who.user_ref, note):
                log.info("the blocked note could not be delivered")
        return True


def _user_barred(lists: Lists, user_ref: str, roles: tuple[str, ...]) -> bool:
    """Blocked by name or role, or not among the allowed where only some are."""
    if user_ref in lists.block["user"] or lists.block["role"].intersection(roles):
        return True
    if not lists.allow["user"] and not lists.allow["role"]:
        return False
    return user_ref not in lists.allow["user"] and not lists.allow["role"].intersection(roles)
