"""Moderation of shared personas: a report reaches the place's admins (reporter unnamed), a
takedown unshares the persona with a reason its owner is told, and only the level that took
it down restores it."""

from __future__ import annotations

import re

import pytest

from bot.core import Core
from bot.messages import Who
from tests.bot.test_access import Surface

GUILD = "g1"
ALICE = Who("discord", "1", "Alice", GUILD, "group", channel_ref="10")
BOB = Who("discord", "2", "Bob", GUILD, "group", channel_ref="10")
MOD = Who("discord", "3", "Mod", GUILD, "group", space_admin=True, channel_ref="10")
OTHER_MOD = Who("discord", "4", "Olga", "g2", "group", space_admin=True, channel_ref="20")
ROOT_DM = Who("discord", "99", "Root", "dm:99", "dm")
ADMINS = {"admins": {"discord": ["99"]}}


@pytest.fixture
async def owner_inbox(core: Core) -> Surface:
    surface = Surface()
    core.outbox.register(surface)
    created = await core.handle_text(ALICE, '/persona create sly prompt="Sly." public=yes')
    assert not created.error, created.text
    return surface


def _persona_id(listing: str) -> int:
    found = re.search(r"#(\d+) Sly", listing)
    assert found, listing
    return int(found.group(1))


@pytest.mark.parametrize("settings", [ADMINS], indirect=True)
async def test_report_takedown_and_restore(core: Core, owner_inbox: Surface) -> None:
    assert not (await core.handle_text(BOB, "/persona switch sly")).error
    reported = await core.handle_text(BOB, "/persona report sly posts scam links")
    assert reported.text.startswith("Reported Sly to the admins.")
    again = await core.handle_text(BOB, "/persona report sly still at it")
    assert again.error and "you have reported 'sly' already" in again.text
    own = await core.handle_text(ALICE, "/persona report sly hmm")
    assert own.error and "'sly' is yours" in own.text
    assert (await core.handle_text(BOB, "/reports")).error  # admins only

    listing = (await core.handle_text(MOD, "/reports")).text
    assert "Sly ('sly'): 1 report since" in listing and '"posts scam links"' in listing
    assert "Bob" not in listing  # reporters stay unnamed
    pid = _persona_id(listing)

    hidden = await core.handle_text(MOD, "/moderation hide sly scam links in replies")
    assert (
        hidden.text == f"Took Sly (#{pid}) down: only its owner sees it now; 1 open report closed."
    )
    assert owner_inbox.got == [
        (
            "1",
            "Your persona 'sly' was taken down by the admins of the place where you shared it: "
            "scam links in replies\nIt is still yours, private; it can't be shared again unless "
            "they restore it.",
        )
    ]
    assert (await core.handle_text(BOB, "/persona switch sly")).error
    answer = await core.handle_text(BOB, "hello")  # sly was active: the default answers now
    assert answer.persona is not None and answer.persona.name != "sly"
    shown = (await core.handle_text(ALICE, "/persona show sly")).text
    assert "taken down by this place's admins: scam links in replies" in shown
    republish = await core.handle_text(ALICE, "/persona edit sly public=yes")
    assert republish.error and "can't be shared again unless they restore it" in republish.text
    assert "No open reports." in (await core.handle_text(MOD, "/reports")).text

    restored = await core.handle_text(MOD, "/moderation restore sly")
    assert restored.text == f"Restored Sly (#{pid}); its owner was told."
    assert owner_inbox.got[-1] == ("1", "Your persona 'sly' was restored: you may share it again.")
    assert not (await core.handle_text(ALICE, "/persona edit sly public=yes")).error
    assert not (await core.handle_text(BOB, "/persona switch sly")).error


@pytest.mark.parametrize("settings", [ADMINS], indirect=True)
async def test_bot_admins_act_from_anywhere_and_only_they_undo_it(
    core: Core, owner_inbox: Surface
) -> None:
    await core.handle_text(BOB, "/persona report sly impersonates a real person")
    listing = (await core.handle_text(ROOT_DM, "/reports all=yes")).text
    pid = _persona_id(listing)
    elsewhere = await core.handle_text(OTHER_MOD, f"/moderation hide #{pid} not yours")
    assert elsewhere.error and "isn't shared here" in elsewhere.text
    done = await core.handle_text(ROOT_DM, f"/moderation hide #{pid} impersonation")
    assert not done.error, done.text
    assert "taken down by the bot's admins: impersonation" in owner_inbox.got[-1][1]
    refused = await core.handle_text(MOD, f"/moderation restore #{pid}")
    assert refused.error and "only they can restore it" in refused.text
    assert not (await core.handle_text(ROOT_DM, f"/moderation restore #{pid}")).error


@pytest.mark.parametrize("settings", [ADMINS], indirect=True)
async def test_dismissing_and_bad_input_change_nothing(core: Core, owner_inbox: Surface) -> None:
    await core.handle_text(BOB, "/persona report sly meh")
    listing = (await core.handle_text(MOD, "/reports")).text
    report_id = int(re.search(r"report ids (\d+)", listing).group(1))  # type: ignore[union-attr]
    assert (await core.handle_text(OTHER_MOD, f"/reports dismiss={report_id}")).error
    dismissed = await core.handle_text(MOD, f"/reports dismiss={report_id}")
    assert dismissed.text == f"Dismissed report #{report_id}."
    assert "No open reports." in (await core.handle_text(MOD, "/reports")).text
    for who, line, message in [
        (BOB, "/persona report sly " + "x" * 501, "the reason is too long: 501 characters"),
        (BOB, "/persona report nobody rude", "no persona named 'nobody'"),
        (BOB, "/persona report assistant rude", "presets are chosen by this place's admins"),
        (MOD, "/moderation hide #999 spam", "no persona #999"),
        (MOD, "/moderation restore sly", "'sly' wasn't taken down"),
        (BOB, "/moderation hide sly spam", "only admins of this server or group"),
    ]:
        reply = await core.handle_text(who, line)
        assert reply.error and message in reply.text, (line, reply.text)
    assert owner_inbox.got == []
    assert "No open reports." in (await core.handle_text(MOD, "/reports")).text
