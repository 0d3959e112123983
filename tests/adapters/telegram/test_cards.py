"""/persona import through the real python-telegram-bot Application: a card sent as a
document with the command as its caption."""

from __future__ import annotations

import asyncio

import pytest

from tests.adapters.telegram.conftest import ALICE, BOB, Harness
from tests.adapters.telegram.test_telegram import bot_msg, buttons, sent
from tests.support.cards import FORMATS, b64, card_png, v2_card, v3_card
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import document, message, press


@pytest.mark.parametrize("kind", sorted(FORMATS))
async def test_a_card_sent_as_a_document_with_the_command_as_caption_is_imported(
    tg: Harness, fake_llm: FakeOpenAI, kind: str
) -> None:
    name, mime, raw, version = FORMATS[kind]
    tg.api.files["card1"] = raw
    calls = await tg.send(document(ALICE, "card1", name, mime, "/persona import"))
    assert [c.params["file_id"] for c in calls if c.method == "getFile"] == ["card1"]
    (answer,) = sent(calls)
    assert f"Imported Seraphina (seraphina) from a {version} card" in answer.text
    assert "safe now, Alice." in answer.text  # the greeting, its macros filled
    await tg.send(message(ALICE, "hello"))
    assert "forest guardian" in fake_llm.chat_requests[-1]["messages"][0]["content"]
    tg.api.files["photo1"] = b"\xff\xd8\xff\xe0" + b"\x00" * 64  # a photo: Telegram's JPEG
    bad = await tg.send(document(ALICE, "photo1", "sera.jpg", "image/jpeg", "/persona import"))
    assert "that is a JPEG picture, not a card" in sent(bad)[0].text


async def test_greeting_buttons_move_between_greetings_for_their_user_only(
    tg: Harness,
) -> None:
    tg.api.files["card2"] = card_png({"chara": b64(v2_card())})
    await tg.send(document(ALICE, "card2", "sera.png", "image/png", "/persona import"))
    (greeting,) = sent(await tg.send(message(ALICE, "/persona switch seraphina")))
    assert "safe now, Alice." in greeting.text
    labels = {b["text"]: b["callback_data"] for b in buttons(greeting)}
    assert list(labels) == ["◀", "1/3", "▶"]
    refused = await tg.send(press(BOB, labels["▶"], bot_msg(greeting)))
    assert [c.params.get("text") for c in refused] == [
        "Only the person it greeted can use these buttons."
    ]
    calls = await tg.send(press(ALICE, labels["▶"], bot_msg(greeting)))
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert "hums a song." in edit.text and buttons(edit)[1]["text"] == "2/3"
    back = {b["text"]: b["callback_data"] for b in buttons(edit)}["◀"]
    calls = await tg.send(press(ALICE, back, bot_msg(greeting)))
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert "safe now, Alice." in edit.text


async def test_markup_in_a_card_is_shown_as_text_and_asset_urls_are_never_fetched(
    tg: Harness,
) -> None:
    """Card fields are data: HTML arrives escaped (never bold, never a link), and a V3 card's
    asset URLs — here a loopback server that counts every connection — are never fetched."""
    hits: list[int] = []

    async def count(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append(1)
        writer.close()

    server = await asyncio.start_server(count, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hostile = v3_card(
        name="<b>Mallory</b>",
        first_mes='<a href="http://evil.example/">click</a> <script>alert(1)</script> hi {{user}}',
        assets=[
            {"type": "icon", "uri": f"http://127.0.0.1:{port}/a.png", "name": "main", "ext": "png"}
        ],
    )
    tg.api.files["card3"] = card_png({"ccv3": b64(hostile)})
    try:
        calls = await tg.send(document(ALICE, "card3", "m.png", "image/png", "/persona import"))
        exported = await tg.send(message(ALICE, "/persona export"))
    finally:
        server.close()
    (answer,) = sent(calls)
    raw = str(answer.params["text"])
    assert "&lt;b&gt;Mallory&lt;/b&gt;" in raw and "<b>Mallory</b>" not in raw
    assert "&lt;script&gt;" in raw and "<a href" not in raw and "hi Alice" in raw
    assert [c.method for c in exported if c.method == "sendDocument"] == ["sendDocument"]
    assert hits == []  # nothing fetched the asset, on import or export
