"""Persona pictures are judged by their bytes: real PNG, JPEG, WebP and GIF files pass, anything
else — whatever its name — is refused with one line."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from personas.errors import BadInput
from personas.pictures import MAX_SIDE, embedded, picture, thumbnail, without_card
from tests.support.cards import b64, card_png, text_chunks, v2_card

MB = 1024 * 1024


def image_bytes(kind: str, size: tuple[int, int] = (40, 60), colour=(10, 200, 90)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "mime"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")],
)
def test_each_allowed_format_is_recognised_by_its_content(kind: str, mime: str) -> None:
    found = picture(image_bytes(kind), 10 * MB)
    assert (found.mime, found.width, found.height) == (mime, 40, 60)
    assert found.describe().startswith("40×60 ")


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "empty"),
        (b'{"name": "not a picture"}', "not a picture"),
        (image_bytes("PNG")[:60], "damaged or cut short"),
        (image_bytes("BMP"), "can't be an avatar"),
        (image_bytes("TIFF"), "can't be an avatar"),
    ],
    ids=["empty", "json", "truncated png", "bmp", "tiff"],
)
def test_what_is_not_an_allowed_picture_is_refused_in_one_line(raw: bytes, says: str) -> None:
    with pytest.raises(BadInput) as err:
        picture(raw, 10 * MB)
    assert says in err.value.message and "\n" not in err.value.message


def test_size_and_sides_are_limited() -> None:
    with pytest.raises(BadInput, match=r"^the picture is 2\.\d KB \(limit 1 KB\)$"):
        picture(image_bytes("PNG") + b"\0" * 2048, 1024)
    out = io.BytesIO()
    Image.new("1", (MAX_SIDE + 1, 2)).save(out, "PNG")  # tiny file, too wide to be an avatar
    with pytest.raises(BadInput, match="at most 8192 pixels a side"):
        picture(out.getvalue(), 10 * MB)


def test_a_card_png_keeps_its_pixels_and_other_chunks_but_not_the_card() -> None:
    raw = card_png({"chara": b64(v2_card()), "ccv3": b64(v2_card()), "Comment": "drawn by me"})
    found = picture(raw, 10 * MB)
    assert len(found.data) < len(raw)
    assert text_chunks(found.data) == {"Comment": "drawn by me"}
    with Image.open(io.BytesIO(found.data)) as a, Image.open(io.BytesIO(raw)) as b:
        assert a.tobytes() == b.tobytes()
    assert without_card(found.data) == found.data  # nothing left to strip


def test_the_same_bytes_have_the_same_id_and_other_bytes_another() -> None:
    one, two = picture(image_bytes("PNG"), MB), picture(image_bytes("PNG"), MB)
    other = picture(image_bytes("PNG", colour=(1, 2, 3)), MB)
    assert one.id == two.id != other.id and len(one.id) == 64


def test_a_thumbnail_is_a_square_png_that_keeps_the_top_of_a_portrait() -> None:
    portrait = Image.new("RGB", (100, 300), (0, 0, 255))
    portrait.paste((255, 0, 0), (0, 0, 100, 100))  # a red face at the top
    out = io.BytesIO()
    portrait.save(out, "PNG")
    small = thumbnail(out.getvalue(), 64)
    with Image.open(io.BytesIO(small)) as image:
        assert image.format == "PNG" and image.size == (64, 64)
        assert image.convert("RGB").getpixel((32, 5)) == (255, 0, 0)


def test_an_animated_gif_becomes_its_first_frame() -> None:
    frames = [Image.new("RGB", (20, 20), c) for c in ((0, 255, 0), (255, 0, 0))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:])
    assert picture(out.getvalue(), MB).mime == "image/gif"
    with Image.open(io.BytesIO(thumbnail(out.getvalue(), 8))) as image:
        assert image.convert("RGB").getpixel((4, 4)) == (0, 255, 0)


def test_only_embedded_data_is_read_from_an_asset_uri() -> None:
    raw = image_bytes("PNG")
    assert embedded("data:image/png;base64," + base64.b64encode(raw).decode()) == raw
    assert embedded("https://example.org/icon.png") is None
    assert embedded("ccdefault:") is None
    with pytest.raises(BadInput, match="not valid base64"):
        embedded("data:image/png;base64,@@@")
