"""Access lists: who may use the bot in a space (users, roles, channels) and a platform's block
list; a kept-out user gets no answer and nothing of theirs is stored."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest
from sqlalchemy import func, select

from bot.core import Core
from bot.messages import Incoming, Who
from storage.models import Turn

GUILD = "g1"
ADMIN = Who("discord", "1", "Ada", GUILD, "group", space_admin=True, channel_ref="10")
BOB = Who("discord", "2", "Bob", GUILD, "group", channel_ref="10", roles=("500",))
CARA = Who("discord", "3", "Cara", GUILD, "group", channel_ref="10", roles=("600",))
ROOT = Who("discord", "99", "Root", GUILD, "group", channel_ref="10")


@dataclass
class Surface:
    """An adapter as the outbox sees it: records direct messages."""

    name: str = "discord"
    got: list[tuple[str, str]] = field(default_factory=list)

    async def run(self) -> None:
        return None

    async def deliver(self, user_ref: str, text: str) -> None:
        self.got.append((user_ref, text))


async def _turns(core: Core, user_ref: str) -> int:
    uid = await core.identities.user("discord", user_ref)
    async with core.db.sessions() as s:
        return int(await s.scalar(select(func.count()).where(Turn.user_id == uid)) or 0)


async def _answered(core: Core, who: Who, text: str = "hello") -> bool:
    """What an adapter does with a message: ask answers(), then run the turn."""
    if not await core.answers(Incoming(who, text)):
        return False
    return not (await core.chat(Incoming(who, text))).error


@pytest.mark.parametrize("settings", [{"admins": {"discord": ["99"]}}], indirect=True)
async def test_a_blocked_user_gets_no_answer_and_nothing_is_stored(core: Core) -> None:
    assert await _answered(core, BOB)
    before = await _turns(core, "2")
    done = await core.handle_text(ADMIN, "/access block <@2>")
    assert done.text == "Blocked user <@2> (2)." and not done.error
    assert not await _answered(core, BOB, "my secret is 4711")
    assert await _turns(core, "2") == before
    refused = await core.handle_text(BOB, "/persona list")
    assert refused.silent and refused.error  # adapters show nothing
    assert await _answered(core, CARA)  # others are unaffected
    removed = await core.handle_text(ADMIN, "/access remove <@2>")
    assert removed.text == "Took user <@2> (2) off the lists."
    assert await _answered(core, BOB)


@pytest.mark.parametrize("settings", [{"admins": {"discord": ["99"]}}], indirect=True)
async def test_allowed_users_and_roles_are_the_only_ones_answered(core: Core) -> None:
    assert not (await core.handle_text(ADMIN, "/access allow 600 kind=role")).error
    assert await _answered(core, CARA)  # holds the allowed role
    assert not await _answered(core, BOB)
    assert await _answered(core, ADMIN)  # admins pass the user and role lists
    await core.handle_text(ADMIN, "/access allow 2 kind=user")
    assert await _answered(core, BOB)
    await core.handle_text(ADMIN, "/access block 600 kind=role")  # blocked wins
    assert not await _answered(core, CARA)
    shown = (await core.handle_text(ADMIN, "/access show")).text
    assert "Allowed users: <@2> (2)" in shown and "Blocked roles: <@&600> (600)" in shown


@pytest.mark.parametrize("settings", [{"admins": {"discord": ["99"]}}], indirect=True)
async def test_channel_lists_hold_for_everyone_but_admins_can_still_mend_them(core: Core) -> None:
    assert (await core.handle_text(ADMIN, "/access block here")).text == (
        "Blocked channel <#10> (10)."
    )
    assert not await _answered(core, BOB)
    assert not await _answered(core, ADMIN)  # the channel is closed to every chat
    other = replace(BOB, channel_ref="11")
    assert await _answered(core, other)
    thread = replace(BOB, channel_ref="12", channel_parents=("10",))
    assert not await _answered(core, thread)  # a thread of a blocked channel is blocked
    assert not (await core.handle_text(ADMIN, "/access remove here")).error  # from inside it
    assert await _answered(core, BOB)
    await core.handle_text(ADMIN, "/access allow 11 kind=channel")
    assert not await _answered(core, BOB) and await _answered(core, other)


@pytest.mark.parametrize("settings", [{"admins": {"discord": ["99", "98"]}}], indirect=True)
async def test_the_global_list_is_for_bot_admins_and_holds_in_dms_too(core: Core) -> None:
    refused = await core.handle_text(ADMIN, "/access block 2 global=yes")
    assert refused.error and "only bot admins" in refused.text
    assert not (await core.handle_text(ROOT, "/access block 2 global=yes")).error
    dm = Who("discord", "2", "Bob", "dm:2", "dm")
    assert not await _answered(core, dm)
    assert not await _answered(core, replace(BOB, space_ref="g2"))
    assert (await core.handle_text(ROOT, "/access block 98 global=yes")).text == (
        "bot admins can't be blocked"
    )
    assert (await core.handle_text(ADMIN, "/access block <@1>")).text == "you can't block yourself"
    shown = (await core.handle_text(ROOT, "/access show")).text
    assert "Blocked on all of discord: 2" in shown


@pytest.mark.parametrize(
    "settings", [{"access": {"blocked_note": "Not here, sorry."}}], indirect=True
)
async def test_the_note_is_sent_privately_at_most_once_an_hour(core: Core) -> None:
    surface = Surface()
    core.outbox.register(surface)
    clock = [1000.0]
    core.access._clock = lambda: clock[0]
    await core.handle_text(ADMIN, "/access block <@2>")
    for _ in range(3):
        assert not await _answered(core, BOB)
    assert surface.got == [("2", "Not here, sorry.")]
    clock[0] += 3601
    assert not await _answered(core, BOB)
    assert len(surface.got) == 2
    refused = await core.handle_text(BOB, "/persona list")
    assert refused.text == "Not here, sorry." and not refused.silent


@pytest.mark.parametrize("settings", [{"admins": {"discord": ["99"]}}], indirect=True)
async def test_bad_entries_are_refused_and_change_nothing(core: Core) -> None:
    for line, message in [
        ("/access block bob!", "'bob!' is not an id: give a number, a mention, or `here`"),
        ("/access block 2", "say what the id names: kind=user, kind=role or kind=channel"),
        ("/access block <@&5> kind=user", "that names a role, not a user"),
        ("/access remove 7 kind=user", "<@7> (7) is not on the lists"),
    ]:
        reply = await core.handle_text(ADMIN, line)
        assert reply.error and message in reply.text, line
    reply = await core.handle_text(ROOT, "/access block 5 kind=role global=yes")
    assert reply.text == "the global list blocks users only"
    assert await core.access.repo.rules("space:1") == []
    assert await core.access.repo.rules("global:discord") == []
    refused = await core.handle_text(BOB, "/access block 3 kind=user")
    assert refused.error and "only admins of this server or group" in refused.text
    tg = Who("telegram", "5", "Tess", "-100", "group", space_admin=True)
    reply = await core.handle_text(tg, "/access block 7 kind=role")
    assert reply.text == "telegram has no roles: name users or channels"
    dm = await core.handle_text(Who("discord", "2", "Bob", "dm:2", "dm"), "/access show")
    assert dm.error and "only admins of this server or group" in dm.text
    in_dm = await core.handle_text(
        Who("discord", "99", "Root", "dm:99", "dm"), "/access block <@2>"
    )
    assert in_dm.text.startswith("access lists are kept per server or group")
