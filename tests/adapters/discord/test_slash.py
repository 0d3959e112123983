"""Slash commands through the real discord.py tree: options, autocomplete, forms, buttons."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord.conftest import ALICE, BOB, Harness
from tests.support import discord_gateway as gw
from tests.support.fake_discord import BOT_USER, Call

EPHEMERAL = 64
MENTION = f"<@{BOT_USER['id']}>"


def callback(calls: list[Call]) -> dict[str, Any]:
    """The one interaction response among `calls`."""
    return _callback_call(calls).body


def _callback_call(calls: list[Call]) -> Call:
    found = [c for c in calls if c.path.startswith("interactions/")]
    assert len(found) == 1, [c.path for c in calls]
    return found[0]


def _inputs(modal: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Text inputs of a modal payload, by label, wherever Discord's layout nests them."""
    found: dict[str, dict[str, Any]] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == 4:
                found[node.get("label") or node["custom_id"]] = node
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(modal["components"])
    return found


def _submission(modal: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """A MODAL_SUBMIT `data`: the modal's own custom ids, with what the user typed."""
    rows = []
    for label, node in _inputs(modal).items():
        value = values.get(label, node.get("value", ""))
        rows.append(
            {
                "type": 1,
                "components": [{"type": 4, "custom_id": node["custom_id"], "value": value}],
            }
        )
    return {"custom_id": modal["custom_id"], "components": rows}


async def _create(dc: Harness, author: dict[str, Any], name: str, **options: Any) -> None:
    body = callback(await dc.slash(author, ("persona", "create"), name=name, **options))
    assert body["type"] == 4 and "Created" in body["data"]["content"], body


async def test_autocomplete_offers_only_personas_this_user_may_see(dc: Harness) -> None:
    await _create(dc, ALICE, "luna", prompt="You are Luna.")
    data = gw.command_data(("persona", "switch"), {"name": "lu"}, focused="name")
    alice = callback(await dc.interact(ALICE, 4, data))
    bob = callback(await dc.interact(BOB, 4, data))
    assert alice["type"] == 8
    assert [c["value"] for c in alice["data"]["choices"]] == ["luna"]
    assert bob["data"]["choices"] == []  # private to Alice
    data = gw.command_data(("persona", "switch"), {"name": ""}, focused="name")
    everything = callback(await dc.interact(BOB, 4, data))["data"]["choices"]
    assert "assistant" in [c["value"] for c in everything] and len(everything) <= 25


async def test_create_without_text_opens_a_form_and_submitting_it_creates(dc: Harness) -> None:
    body = callback(await dc.slash(ALICE, ("persona", "create"), name="nova"))
    assert body["type"] == 9  # MODAL
    modal = body["data"]
    labels = set(_inputs(modal))
    assert labels == {"Prompt", "Bio", "Greeting", "Examples", "Post"}
    assert modal["title"] == "/persona create nova"
    submit = _submission(modal, {"Prompt": "You are Nova, a starship AI.", "Greeting": "Online."})
    done = callback(await dc.interact(ALICE, 5, submit))
    assert done["type"] == 4 and "Created Nova (nova)" in done["data"]["content"]
    assert done["data"]["flags"] & EPHEMERAL
    switched = callback(await dc.slash(ALICE, ("persona", "switch"), name="nova"))
    assert switched["data"]["content"] == "**Nova**\nOnline."  # the greeting, as the persona
    shown = callback(await dc.slash(ALICE, ("persona", "show"), name="nova"))
    assert "prompt: You are Nova, a starship AI." in shown["data"]["content"]


async def test_edit_form_is_prefilled_and_only_changes_what_changed(dc: Harness) -> None:
    await _create(dc, ALICE, "luna", prompt="You are Luna.", bio="Moon child")
    body = callback(await dc.slash(ALICE, ("persona", "edit"), name="luna"))
    inputs = _inputs(body["data"])
    assert inputs["Prompt"]["value"] == "You are Luna."
    assert inputs["Bio"]["value"] == "Moon child"
    done = callback(await dc.interact(ALICE, 5, _submission(body["data"], {"Bio": "Night owl"})))
    assert done["data"]["content"] == "Updated Luna: bio."
    direct = callback(await dc.slash(ALICE, ("persona", "edit"), name="luna", style="terse"))
    assert direct["type"] == 4 and direct["data"]["content"] == "Updated Luna: style."


async def test_someone_elses_persona_gets_no_form_but_a_clear_refusal(dc: Harness) -> None:
    await _create(dc, ALICE, "luna", prompt="You are Luna.", public=True)
    body = callback(await dc.slash(BOB, ("persona", "edit"), name="luna"))
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    assert body["data"]["content"] == "⚠️ only the owner of 'luna' can change it"


async def test_confirmation_buttons_answer_only_the_asker(dc: Harness) -> None:
    await _create(dc, ALICE, "luna", prompt="You are Luna.", public=True)
    call = _callback_call(await dc.slash(ALICE, ("persona", "delete"), name="luna"))
    asked = call.body
    assert "Delete Luna (luna)" in asked["data"]["content"]
    buttons = asked["data"]["components"][0]["components"]
    yes = next(b for b in buttons if b["label"] == "Yes")
    message = gw.bot_message(asked["data"]["content"])
    message["components"] = asked["data"]["components"]
    message["id"] = call.response["interaction"]["response_message_id"]
    press = {"custom_id": yes["custom_id"], "component_type": 2}
    refused = callback(await dc.interact(BOB, 3, press, message=message))
    assert refused["type"] == 4 and refused["data"]["flags"] & EPHEMERAL
    assert refused["data"]["content"] == "Only the person who asked can answer this."
    assert [lk.name for lk in await dc.core.persona_choices(_who(ALICE), "luna")] == ["luna"]
    done = callback(await dc.interact(ALICE, 3, press, message=message))
    assert done["type"] == 7  # UPDATE_MESSAGE: the question becomes the answer
    assert done["data"]["content"] == "Deleted Luna and its chats."
    assert done["data"]["components"] == []
    assert await dc.core.persona_choices(_who(ALICE), "luna") == []


def _who(author: dict[str, Any]) -> Any:
    from bot.messages import Who

    return Who("discord", author["id"], author["username"], str(gw.GUILD_ID), "group")


async def test_private_output_is_ephemeral_and_greetings_are_public(dc: Harness) -> None:
    listing = callback(await dc.slash(ALICE, ("memory", "list")))
    assert listing["data"]["flags"] & EPHEMERAL
    usage = callback(await dc.slash(ALICE, ("usage",)))
    assert usage["data"]["flags"] & EPHEMERAL
    switched = callback(await dc.slash(ALICE, ("persona", "switch"), name="coder"))
    assert not switched["data"].get("flags", 0) & EPHEMERAL
    assert switched["data"]["content"].startswith("**Code Expert**\n")


async def test_errors_are_short_and_private(dc: Harness) -> None:
    body = callback(await dc.slash(ALICE, ("persona", "switch"), name="nobody"))
    assert body["data"]["flags"] & EPHEMERAL
    assert body["data"]["content"].startswith("⚠️ ") and "nobody" in body["data"]["content"]


async def test_chat_channels_are_set_by_server_admins_only(dc: Harness) -> None:
    refused = callback(await dc.slash(BOB, ("channel", "chat"), mode="on"))
    assert "only admins of this server or group" in refused["data"]["content"]
    assert not await dc.core.chat_channels(1)
    done = callback(await dc.slash(ALICE, ("channel", "chat"), mode="on", admin=True))
    assert done["data"]["content"] == "I will answer every message in this channel."
    listed = callback(await dc.slash(BOB, ("channel", "list")))
    assert f"<#{gw.CHANNEL_ID}>" in listed["data"]["content"]
    in_dm = callback(await dc.slash(ALICE, ("channel", "chat"), mode="on", dm=True))
    assert "here I answer every message" in in_dm["data"]["content"]


async def test_a_dm_command_runs_in_the_users_dm_space(dc: Harness) -> None:
    await _create(dc, ALICE, "luna", prompt="You are Luna.")
    switched = callback(await dc.slash(ALICE, ("persona", "switch"), name="luna", dm=True))
    assert switched["data"]["content"].startswith("**Luna**")
    shown = callback(await dc.slash(ALICE, ("persona", "show"), dm=True))
    server = callback(await dc.slash(ALICE, ("persona", "show")))
    assert shown["data"]["content"].startswith("Luna (luna)")
    assert server["data"]["content"].startswith("Luna (luna)")  # created there: active there


async def test_presets_added_in_a_server_belong_to_it(dc: Harness) -> None:
    refused = callback(await dc.slash(BOB, ("preset", "add"), name="bard", prompt="Sing."))
    assert "only admins" in refused["data"]["content"]
    added = callback(
        await dc.slash(ALICE, ("preset", "add"), name="bard", prompt="You sing.", admin=True)
    )
    assert "bard" in added["data"]["content"].lower()
    data = gw.command_data(("persona", "switch"), {"name": "bar"}, focused="name")
    here = callback(await dc.interact(BOB, 4, data))["data"]["choices"]
    in_dm = callback(await dc.interact(BOB, 4, data, dm=True))["data"]["choices"]
    assert [c["value"] for c in here] == ["bard"]
    assert in_dm == []


async def test_voice_upload_takes_the_attached_file(dc: Harness) -> None:
    await _create(dc, ALICE, "luna", prompt="You are Luna.")
    clip = dc.api.attachment(
        "sample.wav", b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 64, "audio/wav"
    )
    data = gw.command_data(("voice", "upload"), {})
    data["options"][0]["options"] = [{"type": 11, "name": "sample", "value": clip["id"]}]
    data["resolved"] = {"attachments": {clip["id"]: clip}}
    calls = await dc.interact(ALICE, 2, data)
    assert [c.path for c in calls if c.path.startswith("cdn/")] == ["cdn/sample.wav"]
    body = callback(calls)
    # Offline speech here: the file arrived, and the core explains what cloning needs.
    assert body["data"]["content"] == "⚠️ voice cloning needs ElevenLabs: set ELEVENLABS_API_KEY"
    assert body["data"]["flags"] & EPHEMERAL


async def test_undo_takes_the_last_exchange_out_of_the_next_prompt(
    dc: Harness, fake_llm: Any
) -> None:
    await dc.message(ALICE, f"{MENTION} my door code is 5521", mentions=(BOT_USER,))
    body = callback(await dc.slash(ALICE, ("undo",)))
    assert body["data"]["flags"] & EPHEMERAL and "5521" in body["data"]["content"]
    await dc.message(ALICE, f"{MENTION} what is my door code?", mentions=(BOT_USER,))
    prompt = "\n".join(str(m["content"]) for m in fake_llm.chat_requests[-1]["messages"])
    assert "5521" not in prompt and "what is my door code?" in prompt
