"""/persona import with an attachment option and /persona export as a file, through the real
discord.py tree."""

from __future__ import annotations

import json

from tests.adapters.discord.conftest import ALICE, Harness
from tests.adapters.discord.test_slash import EPHEMERAL, MENTION, callback
from tests.support import discord_gateway as gw
from tests.support.cards import v3_card
from tests.support.fake_discord import BOT_USER
from tests.support.fake_openai import FakeOpenAI


async def test_a_card_attached_to_the_slash_command_is_imported_and_exported(
    dc: Harness, fake_llm: FakeOpenAI
) -> None:
    original = v3_card()
    card = dc.api.attachment("sera.json", json.dumps(original).encode(), "application/json")
    data = gw.command_data(("persona", "import"), {})
    data["options"][0]["options"] = [{"type": 11, "name": "card", "value": card["id"]}]
    data["resolved"] = {"attachments": {card["id"]: card}}
    calls = await dc.interact(ALICE, 2, data)
    assert [c.path for c in calls if c.path.startswith("cdn/")] == ["cdn/sera.json"]
    body = callback(calls)
    assert body["data"]["flags"] & EPHEMERAL
    assert "Imported Seraphina (seraphina) from a V3 card" in body["data"]["content"]
    await dc.message(ALICE, f"{MENTION} hello", mentions=(BOT_USER,))
    system = fake_llm.chat_requests[-1]["messages"][0]["content"]
    assert "Seraphina is a forest guardian" in system and "Scenario: Alice wakes up" in system

    before = len(dc.api.uploads)
    calls = await dc.slash(ALICE, ("persona", "export"), name="seraphina", format="json")
    (sent,) = [c for c in calls if c.path.startswith("interactions/")]
    assert sent.files == ["seraphina.json"]
    (uploaded,) = dc.api.uploads[before:]
    assert json.loads(uploaded) == original
