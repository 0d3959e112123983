"""/memory search|forget|pin|unpin|export|stats through the core."""

from __future__ import annotations

import json
from typing import Any

from bot.core import Core


async def test_search_forget_pin_export(core: Core, user: Any) -> None:
    alice, bob = user("alice"), user("bob")
    await alice.say("My favourite tea is genmaicha")
    await alice.say("I work as a nurse in Leeds")
    await bob.say("My favourite tea is earl grey")
    found = await alice.say("/memory search tea")
    assert "genmaicha" in found.text and "earl grey" not in found.text
    item_id = int(found.text.split("#")[1].split()[0])
    assert "Pinned" in (await alice.say(f"/memory pin {item_id}")).text
    assert "📌" in (await alice.say("/memory list")).text
    assert "Unpinned" in (await alice.say(f"/memory unpin {item_id}")).text
    refused = await bob.say(f"/memory forget {item_id}")
    assert refused.error and f"no memory #{item_id} of yours" in refused.text
    export = await alice.say("/memory export")
    [file] = export.attachments
    data = json.loads(file.data)
    assert file.filename.endswith(".json") and data["persona"] == "assistant"
    assert {i["text"] for i in data["items"]} == {
        "My favourite tea is genmaicha",
        "I work as a nurse in Leeds",
    }
    assert [t["role"] for t in data["turns"]] == ["user", "assistant"] * 2
    assert "Forgotten" in (await alice.say(f"/memory forget {item_id}")).text
    assert "genmaicha" not in (await alice.say("/memory search tea")).text
    stats = await alice.say("/memory stats")
    assert "memories: 1 (episode 1)" in stats.text and "search index: 1 of 1" in stats.text


async def test_a_fact_comes_back_in_a_later_conversation(
    core: Core, user: Any, fake_llm: Any
) -> None:
    alice = user("alice")
    await alice.say("My daughter Ines turns seven on the 4th of May")
    for i in range(25):  # push it far out of the recent-turn window
        await alice.say(f"small talk number {i}")
    await alice.say("When is Ines's birthday?")
    system = fake_llm.requests[-1]["messages"][0]["content"]
    recent = [m["content"] for m in fake_llm.requests[-1]["messages"][1:]]
    assert "My daughter Ines turns seven" not in " ".join(recent)
    assert "What you remember about Alice" in system and "Ines turns seven" in system
    bob = user("bob")
    await bob.say("When is Ines's birthday?")
    assert "Ines turns seven" not in fake_llm.requests[-1]["messages"][0]["content"]
    await alice.say("/persona switch coder")
    await alice.say("When is Ines's birthday?")
    assert "Ines turns seven" not in fake_llm.requests[-1]["messages"][0]["content"]
