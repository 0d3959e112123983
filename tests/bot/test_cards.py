"""/persona import and export through the core: every field reaches the prompt, a round trip
keeps everything, clashes ask, bad cards change nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core import Core
from bot.messages import Attachment, Reply
from storage.models import PersonaRow
from tests.conftest import who
from tests.support.cards import b64, card_png, v2_card, v3_card
from tests.support.fake_openai import FakeOpenAI


async def _import(core: Core, user: str, raw: bytes, line: str = "/persona import") -> Reply:
    kind = "image/png" if raw.startswith(b"\x89PNG") else "application/json"
    return await core.handle_text(who(user), line, attachments=(Attachment("card", kind, raw),))


async def _personas(core: Core) -> int:
    async with core.db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(PersonaRow)) or 0)


async def test_an_imported_card_speaks_with_every_field(core: Core, fake_llm: FakeOpenAI) -> None:
    done = await _import(core, "alice", card_png({"chara": b64(v2_card())}))
    assert done.text.startswith("Imported Seraphina (seraphina) from a V2 card, private to you.")
    assert done.text.endswith("*Seraphina kneels beside Alice.* You're safe now, Alice.")
    await core.handle_text(who("alice"), "hello?")
    messages = fake_llm.chat_requests[-1]["messages"]
    system = messages[0]["content"]
    assert system.startswith("You are Seraphina. Stay in character as Seraphina.")  # {{original}}
    assert "Seraphina is a forest guardian who heals travellers." in system
    assert "Seraphina's personality: gentle, protective, curious" in system
    assert "Scenario: Alice wakes up in Seraphina's glade after a storm." in system
    assert "Alice: Who are you?\nSeraphina: A friend of the forest." in system
    assert messages[-1] == {"role": "system", "content": "Write Seraphina's next reply only."}
    assert "{{" not in json.dumps(messages)  # every macro filled
    assert "Best with a slow pace." not in system  # creator notes are for people, not the model
    shown = (await core.handle_text(who("alice"), "/persona show seraphina")).text
    assert "Best with a slow pace." in shown


async def test_the_cards_lorebook_fires_into_the_prompt(core: Core, fake_llm: FakeOpenAI) -> None:
    await _import(core, "alice", card_png({"ccv3": b64(v3_card())}))
    lore = "The glade is hidden by old magic."
    await core.handle_text(who("alice"), "where is this glade?")
    assert lore in fake_llm.chat_requests[-1]["messages"][0]["content"]
    for line in ("nice weather", "tell me a story"):  # the key scrolls out of the scan depth
        await core.handle_text(who("alice"), line)
    assert lore not in fake_llm.chat_requests[-1]["messages"][0]["content"]


async def test_a_round_trip_keeps_the_whole_card(core: Core) -> None:
    original = v3_card()
    await _import(core, "alice", json.dumps(original).encode())
    exported = await core.handle_text(who("alice"), "/persona export seraphina format=json")
    (file,) = exported.attachments
    assert file.filename == "seraphina.json" and file.content_type == "application/json"
    card = json.loads(file.data)
    assert card == original | {"data": original["data"]} and card["spec"] == "chara_card_v3"
    as_png = (await core.handle_text(who("alice"), "/persona export seraphina")).attachments[0]
    assert as_png.data.startswith(b"\x89PNG") and as_png.filename == "seraphina.png"
    again = await _import(core, "alice", as_png.data, "/persona import name=sera2")
    assert "Imported Seraphina (sera2) from a V3 card" in again.text
    twice = await core.handle_text(who("alice"), "/persona export sera2 format=json")
    assert json.loads(twice.attachments[0].data) == card


async def test_a_name_clash_asks_and_replace_replaces_only_your_own(core: Core) -> None:
    await _import(core, "alice", json.dumps(v2_card()).encode())
    before = await _personas(core)
    clash = await _import(core, "alice", json.dumps(v2_card(description="new text")).encode())
    assert clash.error and "name=…" in clash.text and "replace=yes" in clash.text
    assert await _personas(core) == before
    replaced = await _import(
        core,
        "alice",
        json.dumps(v2_card(description="new text")).encode(),
        "/persona import replace=yes",
    )
    assert "replacing yours" in replaced.text and await _personas(core) == before
    bob = await _import(core, "bob", json.dumps(v2_card()).encode())  # his own, same name
    assert not bob.error and await _personas(core) == before + 1


@pytest.mark.parametrize(
    "raw",
    [
        card_png({"Comment": "no card here"}),
        card_png({"chara": b64(v2_card())})[:200],
        b'{"spec": "chara_card_v2", "data": {"name": "X", "tags": "no"}}',
        b"\x00\x01 binary junk",
    ],
    ids=["no chunk", "truncated", "bad field", "junk"],
)
async def test_a_bad_card_changes_nothing(core: Core, raw: bytes) -> None:
    before = await _personas(core)
    reply = await _import(core, "alice", raw)
    assert reply.error and "\n" not in reply.text
    assert await _personas(core) == before


async def test_who_may_export(core: Core) -> None:
    await _import(core, "alice", json.dumps(v2_card()).encode())
    refused = await core.handle_text(who("bob"), "/persona export seraphina")
    assert refused.error and not refused.attachments
    preset = await core.handle_text(who("bob"), "/persona export assistant format=json")
    data: dict[str, Any] = json.loads(preset.attachments[0].data)["data"]
    assert data["name"] == "Assistant" and "assistant" in data["description"].lower()
    assert data["personality"] and data["system_prompt"] == ""


async def test_alternate_greetings_cycle(core: Core, user: Any) -> None:
    await _import(core, "alice", json.dumps(v2_card()).encode())
    alice = user("alice")
    switched = await alice.say("/persona switch seraphina")
    assert switched.text == "*Seraphina kneels beside Alice.* You're safe now, Alice."
    assert switched.greetings is not None and switched.greetings.total == 3
    assert (await alice.say("/persona greet")).text == "*Seraphina hums a song.*"
    second = await alice.say("/persona greet")
    assert second.text == "Oh! You're awake." and second.greetings is not None
    assert second.greetings.shown == 3
    assert (await alice.say("/persona greet")).text.startswith("*Seraphina kneels")  # wraps
    assert (await alice.say("/persona greet 2")).text == "*Seraphina hums a song.*"
    plain = await alice.say('/persona create luna prompt="x" greeting="Hi."')
    assert not plain.error
    assert (await alice.say("/persona switch luna")).greetings is None  # one greeting: no ◀ ▶
    ctx_p = await core.personas.find(await core.context(who("alice")), "seraphina")
    assert (await core.greeting(who("bob"), ctx_p.id, 2)).error  # not bob's to see
