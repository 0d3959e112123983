"""A persona's picture on Discord: its webhook posts wear it as their avatar (uploaded bytes,
never an attachment URL that expires), within Discord's 15 webhooks per channel."""

from __future__ import annotations

import io

from PIL import Image

from adapters.discord.send import Sender, face_name
from bot.messages import Attachment, Who
from tests.adapters.discord.conftest import ALICE, Harness
from tests.adapters.discord.test_slash import MENTION
from tests.support import discord_gateway as gw
from tests.support.cards import b64, card_png, v2_card
from tests.support.fake_discord import BOT_USER, MAX_WEBHOOKS

ALICE_WHO = Who("discord", ALICE["id"], "Alice", str(gw.GUILD_ID), "group")
ORANGE = (200, 120, 40)  # tests.support.cards.card_png's colour


def colour_of(data: bytes | None) -> tuple[int, ...]:
    assert data is not None
    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "PNG" and img.size == (256, 256)
        return tuple(img.convert("RGB").getpixel((128, 128)))


def solid(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 400), colour).save(out, "JPEG", quality=100)
    return out.getvalue()


async def _persona_with_picture(dc: Harness, name: str, colour: tuple[int, int, int]) -> None:
    core = dc.core
    await core.handle_text(ALICE_WHO, f'/persona create {name} prompt="{name}."')
    picture = (Attachment("face.jpg", "image/jpeg", solid(colour)),)
    edited = await core.handle_text(ALICE_WHO, f"/persona edit {name}", attachments=picture)
    assert not edited.error, edited.text


async def test_an_imported_cards_picture_is_the_avatar_of_its_webhook_posts(dc: Harness) -> None:
    raw = card_png({"chara": b64(v2_card())})
    card = dc.api.attachment("sera.png", raw, "image/png")
    data = gw.command_data(("persona", "import"), {})
    data["options"][0]["options"] = [{"type": 11, "name": "card", "value": card["id"]}]
    data["resolved"] = {"attachments": {card["id"]: card}}
    await dc.interact(ALICE, 2, data)
    await dc.message(ALICE, f"{MENTION} hello", mentions=(BOT_USER,))
    (shown,) = dc.api.shown
    assert shown.username == "Seraphina" and shown.avatar_url is None
    assert colour_of(shown.avatar) == ORANGE
    (face,) = [h for h in dc.api.webhooks[gw.CHANNEL_ID] if h["name"] != "personabot"]
    assert int(face["id"]) == shown.webhook_id and face["name"].startswith("personabot ")
    assert not [c for c in dc.api.calls if c.path.startswith("cdn/") and c.method == "GET"][1:]

    await dc.message(ALICE, f"{MENTION} again", mentions=(BOT_USER,))
    assert dc.api.shown[-1].webhook_id == shown.webhook_id  # the same face, not a new webhook
    assert len(dc.api.find("POST", rf"channels/{gw.CHANNEL_ID}/webhooks$")) == 2


async def test_more_pictures_than_faces_repaint_the_least_recently_used(dc: Harness) -> None:
    colours = [(250, 0, 0), (0, 250, 0), (0, 0, 250), (250, 250, 0), (0, 250, 250)]
    for i, colour in enumerate(colours):
        await _persona_with_picture(dc, f"p{i}", colour)
    for i in [*range(5), 0]:
        await dc.core.handle_text(ALICE_WHO, f"/persona switch p{i}")
        await dc.message(ALICE, f"{MENTION} hi", mentions=(BOT_USER,))
    seen = [colour_of(s.avatar) for s in dc.api.shown]
    for got, want in zip(seen, [*colours, colours[0]], strict=True):
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 3  # JPEG's rounding
    hooks = dc.api.webhooks[gw.CHANNEL_ID]
    assert len(hooks) == 1 + 4  # the plain webhook and the default 4 faces
    repaints = dc.api.find("PATCH", r"^webhooks/\d+$")
    assert len(repaints) == 2  # p4 took p0's face, then p0 took p1's
    assert all(h["name"] == "personabot" or h["avatar"] for h in hooks)


async def test_a_restarted_bot_finds_its_faces_by_name(dc: Harness) -> None:
    await _persona_with_picture(dc, "bard", (10, 20, 30))
    await dc.message(ALICE, f"{MENTION} hi", mentions=(BOT_USER,))
    look = await dc.core.active_look(ALICE_WHO)
    fresh = Sender(dc.adapter.client, True, dc.core.avatar)  # nothing in memory
    channel = dc.adapter.client.get_channel(gw.CHANNEL_ID)
    before = len(dc.api.calls)
    await fresh.post(channel, look, "after a restart")
    made = [c for c in dc.api.calls[before:] if c.method in ("POST", "PATCH")]
    assert [c.path.split("/")[0] for c in made] == ["webhooks"]  # a post; no new or repainted
    assert dc.api.shown[-1].webhook_id == dc.api.shown[0].webhook_id
    assert face_name(look.avatar_id) in {h["name"] for h in dc.api.webhooks[gw.CHANNEL_ID]}


async def test_a_full_channel_still_gets_the_reply_without_the_picture(dc: Harness) -> None:
    await _persona_with_picture(dc, "bard", (10, 20, 30))
    others = [
        {"id": str(gw.GUILD_ID + 100 + i), "type": 1, "name": f"other {i}", "token": "t"}
        for i in range(MAX_WEBHOOKS - 1)
    ]
    dc.api.webhooks[gw.CHANNEL_ID] = others  # another bot's hooks leave room for ours only
    await dc.message(ALICE, f"{MENTION} hi", mentions=(BOT_USER,))
    (shown,) = dc.api.shown
    assert shown.username == "Bard" and shown.avatar is None  # posted, plainly
    refused = dc.api.find("POST", rf"channels/{gw.CHANNEL_ID}/webhooks$")[-1]
    assert refused.response["code"] == 30007


async def test_a_url_avatar_still_travels_with_each_post(dc: Harness) -> None:
    await dc.core.handle_text(
        ALICE_WHO, '/persona create bard prompt="x" avatar=https://img.example/bard.png'
    )
    await dc.message(ALICE, f"{MENTION} hi", mentions=(BOT_USER,))
    (shown,) = dc.api.shown
    assert shown.avatar_url == "https://img.example/bard.png" and shown.avatar is None
    assert [h["name"] for h in dc.api.webhooks[gw.CHANNEL_ID]] == ["personabot"]
