"""Avatars from images through the core: a card's picture, an image attached to /persona edit,
shown by /persona show, written into the exported card, versioned, and refused when bad."""

from __future__ import annotations

import base64
import io
import json

from PIL import Image
from sqlalchemy import func, select

from bot.core import Core
from bot.messages import Attachment, Reply
from storage.models import PersonaRow, PictureRow
from tests.conftest import who
from tests.support.cards import b64, card_png, text_chunks, v2_card, v3_card

ORANGE = (200, 120, 40)  # the colour of tests.support.cards.card_png


def image(kind: str = "PNG", colour: tuple[int, int, int] = (20, 60, 220)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 96), colour).save(out, kind)
    return out.getvalue()


def colour_of(data: bytes) -> tuple[int, ...]:
    with Image.open(io.BytesIO(data)) as img:
        return tuple(img.convert("RGB").getpixel((img.width // 2, img.height // 2)))


async def send(core: Core, user: str, line: str, data: bytes, name: str = "file") -> Reply:
    return await core.handle_text(
        who(user), line, attachments=(Attachment(name, "application/octet-stream", data),)
    )


async def row(core: Core, name: str) -> PersonaRow:
    async with core.db.sessions() as s:
        found = await s.scalar(select(PersonaRow).where(PersonaRow.name == name))
        assert found is not None
        return found


async def pictures(core: Core) -> int:
    async with core.db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(PictureRow)) or 0)


async def test_the_png_of_an_imported_card_becomes_its_avatar_and_comes_back_on_export(
    core: Core,
) -> None:
    await send(core, "alice", "/persona import", card_png({"chara": b64(v2_card())}))
    persona = await row(core, "seraphina")
    assert len(persona.avatar_image) == 64 and persona.avatar_url == ""
    shown = await core.handle_text(who("alice"), "/persona show seraphina")
    (pic,) = shown.attachments
    assert pic.inline and pic.content_type == "image/png" and pic.filename == "seraphina.png"
    assert colour_of(pic.data) == ORANGE and text_chunks(pic.data) == {}  # no stale card copy
    assert "avatar: a picture (attached)" in shown.text
    exported = await core.handle_text(who("alice"), "/persona export seraphina")
    (card,) = exported.attachments
    assert not card.inline and colour_of(card.data) == ORANGE  # not the placeholder
    assert set(text_chunks(card.data)) == {"chara", "ccv3"}
    again = await send(core, "alice", "/persona import name=sera2", card.data)
    assert (
        not again.error
        and colour_of((await core.avatar((await row(core, "sera2")).avatar_image)) or b"")
        == ORANGE
    )


async def test_a_v3_cards_embedded_icon_is_its_avatar_and_a_url_icon_is_not_fetched(
    core: Core,
) -> None:
    icon = "data:image/jpeg;base64," + base64.b64encode(image("JPEG")).decode()
    assets = [{"type": "icon", "uri": icon, "name": "main", "ext": "jpeg"}]
    await send(core, "alice", "/persona import", json.dumps(v3_card(assets=assets)).encode())
    found = await core.pictures.get((await row(core, "seraphina")).avatar_image)
    assert found is not None and found.mime == "image/jpeg"
    far = [{"type": "icon", "uri": "https://example.invalid/x.png", "name": "main", "ext": "png"}]
    await send(core, "bob", "/persona import", json.dumps(v3_card(assets=far)).encode())
    assert (await row(core, "seraphina")).avatar_image  # alice's; bob's is another row
    async with core.db.sessions() as s:
        bobs = await s.scalars(
            select(PersonaRow.avatar_image).where(PersonaRow.name == "seraphina")
        )
        assert sorted(bool(x) for x in bobs) == [False, True]


async def test_an_image_attached_to_edit_becomes_the_avatar_and_is_versioned(core: Core) -> None:
    await core.handle_text(
        who("alice"), '/persona create bard prompt="A bard." avatar=https://a.example/b.png'
    )
    reply = await send(core, "alice", "/persona edit bard", image("JPEG"), "me.png")  # name lies
    assert not reply.error and "avatar image" in reply.text
    edited = await row(core, "bard")
    assert edited.avatar_url == "" and edited.avatar_image  # one avatar at a time
    found = await core.pictures.get(edited.avatar_image)
    assert found is not None and found.mime == "image/jpeg"
    look = await core.active_look(who("alice"))
    assert look.avatar_id == edited.avatar_image and look.avatar_url == ""
    history = await core.handle_text(who("alice"), "/persona history bard")
    assert "avatar" in history.text
    diff = await core.handle_text(who("alice"), "/persona diff bard 1 2")
    picture_id = edited.avatar_image[:12]
    assert f"avatar_image: (empty) → picture {picture_id}" in diff.text
    assert "avatar_url: https://a.example/b.png → (empty)" in diff.text
    await send(core, "alice", "/persona edit bard", image("PNG", (1, 2, 3)))
    assert (await row(core, "bard")).avatar_image != edited.avatar_image
    confirm = await core.handle_text(who("alice"), "/persona rollback bard 2")
    assert confirm.confirm is not None
    await core.confirm(confirm.confirm.token, who("alice"), True)
    assert (await row(core, "bard")).avatar_image == edited.avatar_image
    url = await core.handle_text(who("alice"), "/persona edit bard avatar=https://a.example/c.png")
    assert not url.error
    assert (await row(core, "bard")).avatar_image == ""  # a URL replaces the picture


async def test_bad_pictures_are_refused_and_change_nothing(core: Core) -> None:
    await core.handle_text(who("alice"), '/persona create bard prompt="A bard."')
    before = (await row(core, "bard")).updated_at, await pictures(core)
    for data, says in (
        (b"GIF89a not really", "not a picture"),
        (json.dumps(v2_card()).encode(), "not a picture"),
        (image()[:80], "damaged or cut short"),
        (image("BMP"), "can't be an avatar"),
    ):
        reply = await send(core, "alice", "/persona edit bard", data, "face.png")
        assert reply.error and says in reply.text and "\n" not in reply.text
    both = await send(core, "alice", "/persona edit bard avatar=https://a.example/b.png", image())
    assert both.error and "not both" in both.text
    theirs = await send(core, "bob", "/persona edit bard", image())
    assert theirs.error
    assert ((await row(core, "bard")).updated_at, await pictures(core)) == before
