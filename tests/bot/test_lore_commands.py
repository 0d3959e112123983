"""/lore: entries added, edited, fired, removed, imported, exported; by owners only."""

from __future__ import annotations

import json
from typing import Any

from bot.core import Core
from bot.messages import Attachment
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI


def _system(fake: FakeOpenAI) -> str:
    return str(fake.chat_requests[-1]["messages"][0]["content"])


async def test_entries_are_managed_and_fire(core: Core, user: Any, fake_llm: FakeOpenAI) -> None:
    alice = user("alice")
    await alice.say('/persona create luna prompt="You are Luna."')
    added = await alice.say('/lore add keys="moon, tide" content="The moon pulls the tides."')
    assert added.text == "Added lore #1 to Luna."
    await alice.say('/lore add constant=yes content="Luna lives on a lighthouse." position=after')
    listed = (await alice.say("/lore list")).text
    assert "#1 [moon, tide] The moon pulls the tides." in listed
    assert "#2 [(always)] (constant) Luna lives on a lighthouse." in listed
    await alice.say("look at the moon")
    system = _system(fake_llm)
    assert "The moon pulls the tides." in system
    assert system.index("You are Luna.") < system.index("Luna lives on a lighthouse.")
    await alice.say('/lore edit 1 keys="eclipse" secondary="sun"')
    await alice.say("the moon again")
    assert "The moon pulls the tides." not in _system(fake_llm)
    await alice.say("an eclipse of the sun")
    assert "The moon pulls the tides." in _system(fake_llm)
    assert (await alice.say("/lore remove 2")).text == "Removed lore #2 from Luna."
    await alice.say("hello")
    assert "lighthouse" not in _system(fake_llm)
    assert "lore removed" in (await alice.say("/persona history luna")).text


async def test_world_info_import_export_and_bad_input(core: Core, user: Any) -> None:
    alice = user("alice")
    await alice.say('/persona create luna prompt="You are Luna."')
    world = {  # SillyTavern's world-info file: entries keyed by uid
        "entries": {
            "0": {
                "uid": 0,
                "key": ["harbour"],
                "keysecondary": [],
                "content": "Ships dock.",
                "constant": False,
                "selective": False,
                "order": 10,
                "position": 0,
                "disable": False,
                "comment": "harbour",
            },
            "1": {
                "uid": 1,
                "key": ["storm"],
                "keysecondary": ["night"],
                "content": "Storms.",
                "constant": False,
                "selective": True,
                "selectiveLogic": 3,
                "order": 20,
                "position": 1,
                "disable": True,
                "comment": "storm",
            },
        }
    }
    file = Attachment("world.json", "application/json", json.dumps(world).encode())
    done = await core.handle_text(who("alice"), "/lore import", attachments=(file,))
    assert done.text == "Added 2 lorebook entries to Luna."
    exported = await alice.say("/lore export")
    book = json.loads(exported.attachments[0].data)
    assert [e["keys"] for e in book["entries"]] == [["harbour"], ["storm"]]
    storm = book["entries"][1]
    assert storm["enabled"] is False and storm["position"] == "after_char"
    assert storm["secondary_keys"] == ["night"] and storm["extensions"]["selectiveLogic"] == 3
    assert (await alice.say('/lore add content="x"')).text == (
        'an entry needs keys="…" (or constant=yes)'
    )
    assert (await alice.say("/lore show 9")).text == "Luna has 2 lorebook entries, not #9"
    junk = Attachment("junk.json", "application/json", b"[1, 2")
    bad = await core.handle_text(who("alice"), "/lore import", attachments=(junk,))
    assert bad.error and "not a lorebook JSON file" in bad.text
    assert (
        "#2" in (await alice.say("/lore list")).text
        and "#3" not in (await alice.say("/lore list")).text
    )


async def test_only_its_owner_changes_a_lorebook(core: Core, user: Any) -> None:
    alice, bob = user("alice"), user("bob")
    await alice.say('/persona create luna prompt="You are Luna." public=yes')
    refused = await bob.say('/lore add keys="x" content="y" persona=luna')
    assert refused.error
    preset = await bob.say('/lore add keys="x" content="y" persona=assistant')
    assert preset.error and "admins" in preset.text
