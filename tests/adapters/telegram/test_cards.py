"""/persona import through the real python-telegram-bot Application: a card sent as a
document with the command as its caption."""

from __future__ import annotations

from tests.adapters.telegram.conftest import ALICE, Harness
from tests.adapters.telegram.test_telegram import sent
from tests.support.cards import b64, card_png, v2_card
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import document, message


async def test_a_card_sent_as_a_document_with_the_command_as_caption_is_imported(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    tg.api.files["card1"] = card_png({"chara": b64(v2_card())})
    calls = await tg.send(document(ALICE, "card1", "sera.png", "image/png", "/persona import"))
    assert [c.params["file_id"] for c in calls if c.method == "getFile"] == ["card1"]
    (answer,) = sent(calls)
    assert "Imported Seraphina (seraphina) from a V2 card" in answer.text
    assert "safe now, Alice." in answer.text  # the greeting, its macros filled
    await tg.send(message(ALICE, "hello"))
    assert "forest guardian" in fake_llm.chat_requests[-1]["messages"][0]["content"]
    tg.api.files["photo1"] = b"\xff\xd8\xff\xe0" + b"\x00" * 64  # a photo: Telegram's JPEG
    bad = await tg.send(document(ALICE, "photo1", "sera.jpg", "image/jpeg", "/persona import"))
    assert "that is a JPEG picture, not a card" in sent(bad)[0].text
