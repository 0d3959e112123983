"""/persona import with an attachment option and /persona export as a file, through the real
discord.py tree."""

from __future__ import annotations

import json

import pytest

from tests.adapters.discord.conftest import ALICE, BOB, Harness
from tests.adapters.discord.test_slash import EPHEMERAL, MENTION, _callback_call, callback
from tests.support import discord_gateway as gw
from tests.support.cards import FORMATS, v3_card
from tests.support.fake_discord import BOT_USER
from tests.support.fake_openai import FakeOpenAI


@pytest.mark.parametrize("kind", sorted(FORMATS))
async def test_each_card_format_attached_to_the_slash_command_is_imported(
    dc: Harness, fake_llm: FakeOpenAI, kind: str
) -> None:
    name, mime, raw, version = FORMATS[kind]
    card = dc.api.attachment(name, raw, mime)
    data = gw.command_data(("persona", "import"), {})
    data["options"][0]["options"] = [{"type": 11, "name": "card", "value": card["id"]}]
    data["resolved"] = {"attachments": {card["id"]: card}}
    body = callback(await dc.interact(ALICE, 2, data))
    assert f"Imported Seraphina (seraphina) from a {version} card" in body["data"]["content"]
    await dc.message(ALICE, f"{MENTION} hello", mentions=(BOT_USER,))
    assert "forest guardian" in fake_llm.chat_requests[-1]["messages"][0]["content"]


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


async def test_greeting_buttons_under_a_switch_move_between_greetings(dc: Harness) -> None:
    card = dc.api.attachment("sera.json", json.dumps(v3_card()).encode(), "application/json")
    data = gw.command_data(("persona", "import"), {})
    data["options"][0]["options"] = [{"type": 11, "name": "card", "value": card["id"]}]
    data["resolved"] = {"attachments": {card["id"]: card}}
    await dc.interact(ALICE, 2, data)
    call = _callback_call(await dc.slash(ALICE, ("persona", "switch"), name="seraphina"))
    shown = call.body["data"]
    assert "safe now, Alice." in shown["content"]
    row = shown["components"][0]["components"]
    assert [b["label"] for b in row] == ["◀", "1/3", "▶"]
    message = gw.bot_message(shown["content"])
    message["components"] = shown["components"]
    message["id"] = call.response["interaction"]["response_message_id"]
    press = {"custom_id": row[2]["custom_id"], "component_type": 2}
    refused = callback(await dc.interact(BOB, 3, press, message=message))
    assert refused["data"]["content"] == "Only the person it greeted can use these buttons."
    moved = callback(await dc.interact(ALICE, 3, press, message=message))
    assert moved["type"] == 7 and "hums a song." in moved["data"]["content"]
    labels = [b["label"] for b in moved["data"]["components"][0]["components"]]
    assert labels == ["◀", "2/3", "▶"]
