"""Every change to a persona is a version: history, diff, rollback (memories untouched)."""

from __future__ import annotations

import json
from typing import Any

from bot.core import Core
from bot.messages import Attachment
from tests.conftest import who
from tests.support.cards import v2_card


async def test_history_diff_and_rollback(core: Core, user: Any) -> None:
    alice = user("alice")
    await alice.say('/persona create luna prompt="You are Luna." greeting="Hello."')
    await alice.say('/persona edit luna greeting="Good evening, traveller."')
    await alice.say('/persona edit luna traits="openness:90"')
    await alice.say("/persona knowledge set luna Keep answers short.")
    card = json.dumps(v2_card(name="Luna", description="A moon spirit.")).encode()
    imported = await core.handle_text(
        who("alice"),
        "/persona import name=luna replace=yes",
        attachments=(Attachment("luna.json", "application/json", card),),
    )
    assert not imported.error, imported.text
    await alice.say("I love the night sky")  # a memory of alice's, which no rollback touches
    assert core.memory is not None
    memories = await core.memory.repo.count(await _owner(core, "alice", "luna"))

    history = (await alice.say("/persona history luna")).text.splitlines()
    assert history[1].startswith("  v5 ") and "by Alice — imported over it: " in history[1]
    assert "by Alice — changed knowledge" in history[2]
    assert "changed traits" in history[3] and "changed greeting" in history[4]
    assert history[5].startswith("  v1 ") and history[5].endswith("— created")

    diff = (await alice.say("/persona diff luna 1 2")).text
    assert diff.splitlines()[:2] == [
        "Luna, v1 → v2:",
        "greeting: Hello. → Good evening, traveller.",
    ]
    big = (await alice.say("/persona diff luna 4")).text  # up to now: the card came in
    assert "card.description: (empty) → A moon spirit." in big

    asked = await alice.say("/persona rollback luna 2")
    assert asked.confirm is not None and "back to version 2" in asked.text
    done = await alice.answer(True)
    assert done.text == "Luna is as it was in v2 again (now v6)."
    shown = (await alice.say("/persona show luna")).text
    assert "Good evening, traveller." in shown and "moon spirit" not in shown
    newest = (await alice.say("/persona history luna")).text.splitlines()[1]
    assert "rolled back to v2: " in newest
    assert await core.memory.repo.count(await _owner(core, "alice", "luna")) == memories


async def test_only_who_may_change_it_sees_its_history(core: Core, user: Any) -> None:
    alice, bob = user("alice"), user("bob")
    await alice.say('/persona create luna prompt="You are Luna." public=yes')
    assert (await bob.say("/persona history luna")).error
    refused = await bob.say("/persona rollback luna 1")
    assert refused.error and refused.confirm is None
    missing = await alice.say("/persona diff luna 1 9")
    assert missing.error and missing.text == "Luna has versions 1-1, not 9"


async def _owner(core: Core, user: str, persona: str) -> Any:
    from storage.keys import OwnerKey

    ctx = await core.context(who(user))
    found = await core.personas.find(ctx, persona)
    return OwnerKey(ctx.user_id, found.id)
