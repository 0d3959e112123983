"""Persona pictures (avatars): checked by their content, never by a file name or a claimed
type; stored once per content hash; shown small where a platform wants an avatar.

Pure data work with Pillow: no network, no database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from personas.cards import PNG_MAGIC, size_text
from personas.errors import BadInput

# What a persona picture may be: what Discord, Telegram and card tools all show.
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
MAX_SIDE = 8192  # pixels; more is a decompression bomb, not an avatar
CARD_CHUNKS = {b"chara", b"ccv3"}  # a card PNG's own text, which the picture does not keep


@dataclass(frozen=True)
class Picture:
    """A checked image: its bytes, what it really is, and its content hash (its id)."""

    data: bytes
    mime: str
    width: int
    height: int

    @property
    def id(self) -> str:
        """The content hash: the same image uploaded twice is stored once."""
        return hashlib.sha256(self.data).hexdigest()

    def describe(self) -> str:
        """E.g. "400×600 PNG, 212 KB"."""
        kind = self.mime.split("/")[1].upper()
        return f"{self.width}×{self.height} {kind}, {max(1, len(self.data) // 1024)} KB"


def picture(data: bytes, max_bytes: int) -> Picture:
    """A persona picture from uploaded bytes, or BadInput saying in one line what is wrong."""
    if not data:
        raise BadInput("that file is empty, not a picture")
    if len(data) > max_bytes:
        raise BadInput(f"the picture is {size_text(len(data))} (limit {size_text(max_bytes)})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format or ""
                width, height = image.size
                if kind in FORMATS and max(width, height) <= MAX_SIDE:
                    image.load()  # every byte decodes: a cut-short file is refused here
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BadInput("that file is not a picture (PNG, JPEG, WebP or GIF)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadInput(f"the picture is damaged or cut short ({exc or 'unreadable'})") from None
    if kind not in FORMATS:
        raise BadInput(f"a {kind or 'file of that kind'} can't be an avatar: use PNG, JPEG, WebP")
    if max(width, height) > MAX_SIDE:
        raise BadInput(f"the picture is {width}×{height} (at most {MAX_SIDE} pixels a side)")
    if kind == "PNG":
        data = without_card(data)
    return Picture(data, FORMATS[kind], width, height)


def without_card(png: bytes) -> bytes:
    """A PNG without the character card's text chunks (the card lives in the persona; a
    picture kept with them would carry a stale copy). Other chunks pass through untouched."""
    if not png.startswith(PNG_MAGIC):
        return png
    out, at = [png[:8]], 8
    while at + 8 <= len(png):
        size, kind = struct.unpack(">I4s", png[at : at + 8])
        end = at + 12 + size
        if kind in (b"tEXt", b"zTXt", b"iTXt") and png[at + 8 : end].split(b"\0", 1)[0] in (
            CARD_CHUNKS
        ):
            at = end
            continue
        out.append(png[at:end])
        at = end
        if kind == b"IEND":
            break
    return b"".join(out)


def thumbnail(data: bytes, side: int) -> bytes:
    """A square PNG of `side` pixels for an avatar: portraits keep the top (where faces are)."""
    with Image.open(io.BytesIO(data)) as image:
        image.seek(0)  # an animated GIF's first frame
        square = ImageOps.fit(image.convert("RGBA"), (side, side), centering=(0.5, 0.2))
    out = io.BytesIO()
    square.save(out, "PNG", optimize=True)
    return out.getvalue()


def embedded(uri: str) -> bytes | None:
    """The bytes of a `data:image/…;base64,…` URI (a V3 card's embedded icon), else None:
    http(s) asset URLs are never fetched."""
    head, _, body = uri.partition(",")
    if not (head.startswith("data:image/") and head.endswith(";base64")):
        return None
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise BadInput("the card's embedded icon is not valid base64") from None
