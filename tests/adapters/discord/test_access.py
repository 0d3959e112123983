"""Access lists on Discord through the real discord.py client: a blocked role gets no answer
to a message, a slash command from it is answered privately, and `here` names the channel."""

from __future__ import annotations

from tests.adapters.discord.conftest import ALICE, BOB, Harness
from tests.adapters.discord.test_slash import EPHEMERAL, MENTION, callback
from tests.support import discord_gateway as gw
from tests.support.fake_discord import BOT_USER


async def _said(dc: Harness, author: dict, text: str, **kw: object) -> int:
    return await dc.message(author, f"{MENTION} {text}", mentions=(BOT_USER,), **kw)


async def test_a_blocked_role_gets_no_answer_and_a_private_refusal_to_commands(
    dc: Harness,
) -> None:
    role = f"<@&{gw.REGULAR_ROLE}>"
    done = callback(await dc.slash(ALICE, ("access", "block"), id=role, admin=True))
    assert done["data"]["content"] == f"Blocked role {role} ({gw.REGULAR_ROLE})."
    assert done["data"]["flags"] & EPHEMERAL
    regular = (gw.REGULAR_ROLE,)
    assert await _said(dc, BOB, "hello?", roles=regular) == 0  # not even typing
    assert await _said(dc, BOB, "hello") > 0  # without the role, answered
    refused = callback(await dc.slash(BOB, ("persona", "list"), roles=regular))
    assert refused["data"]["flags"] & EPHEMERAL
    assert refused["data"]["content"] == "⚠️ You can't use the bot here."
    text_command = await dc.message(BOB, f"{MENTION} /persona list", roles=regular)
    assert text_command == 0  # a typed command: not a word in the channel


async def test_a_channel_blocked_with_here_is_closed_to_chat(dc: Harness) -> None:
    done = callback(await dc.slash(ALICE, ("access", "block"), id="here", admin=True))
    assert done["data"]["content"] == f"Blocked channel <#{gw.CHANNEL_ID}> ({gw.CHANNEL_ID})."
    assert await _said(dc, BOB, "anyone?") == 0
    assert await _said(dc, BOB, "over here?", channel=gw.QUIET_ID) > 0
    shown = callback(await dc.slash(ALICE, ("access", "show"), admin=True))
    assert f"Blocked channels: <#{gw.CHANNEL_ID}>" in shown["data"]["content"]
