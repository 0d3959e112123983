"""A persona's picture on Telegram: a photo captioned /persona edit sets it, /persona show sends
it with sendPhoto (a card PNG export stays a document), and a picture Telegram won't show as a
photo arrives as a file instead of being lost."""

from __future__ import annotations

import io

from PIL import Image

from tests.adapters.telegram.conftest import ALICE, Harness
from tests.adapters.telegram.test_telegram import sent
from tests.support.cards import b64, card_png, v2_card
from tests.support.fake_telegram import document, message, photo


def jpeg(size: tuple[int, int], colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


async def test_a_photo_captioned_edit_becomes_the_avatar_that_show_sends(tg: Harness) -> None:
    await tg.send(message(ALICE, '/persona create bard prompt="A bard."'))
    tg.api.files["small"] = jpeg((90, 120), (0, 0, 0))
    tg.api.files["large"] = jpeg((480, 640), (200, 10, 10))
    calls = await tg.send(photo(ALICE, ["small", "large"], (480, 640), "/persona edit bard"))
    assert [c.params["file_id"] for c in calls if c.method == "getFile"] == ["large"]
    assert "Updated Bard: avatar image." in sent(calls)[0].text
    calls = await tg.send(message(ALICE, "/persona show bard"))
    (shown,) = [c for c in calls if c.method == "sendPhoto"]
    assert shown.uploads == [tg.api.files["large"]]  # the picture itself, as a photo
    assert "avatar: a picture (attached)" in sent(calls)[0].text
    calls = await tg.send(message(ALICE, "/persona export bard"))
    assert [c.method for c in calls if c.uploads] == ["sendDocument"]  # the card keeps its chunks


async def test_a_card_png_imported_as_a_document_is_shown_as_a_photo(tg: Harness) -> None:
    tg.api.files["card"] = card_png({"chara": b64(v2_card())}, size=(200, 300))
    await tg.send(document(ALICE, "card", "sera.png", "image/png", "/persona import"))
    calls = await tg.send(message(ALICE, "/persona show seraphina"))
    (shown,) = [c for c in calls if c.method == "sendPhoto"]
    assert size_of(shown.uploads[0]) == (200, 300)


async def test_a_picture_telegram_refuses_as_a_photo_arrives_as_a_file(tg: Harness) -> None:
    await tg.send(message(ALICE, '/persona create bard prompt="A bard."'))
    tg.api.files["banner"] = jpeg((2100, 100), (9, 9, 9))  # sides 21:1, over the Bot API's 20
    await tg.send(photo(ALICE, ["banner"], (2100, 100), "/persona edit bard"))
    calls = await tg.send(message(ALICE, "/persona show bard"))
    assert [c.method for c in calls if c.uploads] == ["sendPhoto", "sendDocument"]
    assert calls[-1].uploads == [tg.api.files["banner"]]
