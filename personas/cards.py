"""Character Card V1/V2/V3 (SillyTavern, Chub, RisuAI): read from PNG or JSON, written back as
V3 JSON, or as a PNG carrying both the V3 `ccv3` and the V2 `chara` text chunks.

Pure data work: nothing here touches the network (a V3 card's asset URLs are kept, never
fetched) or the database.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from dataclasses import dataclass, field, fields
from typing import Any

from PIL import Image, PngImagePlugin, UnidentifiedImageError

from personas.errors import BadInput

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TEXT = (
    "name",
    "description",
    "personality",
    "scenario",
    "first_mes",
    "mes_example",
    "creator_notes",
    "system_prompt",
    "post_history_instructions",
    "creator",
    "character_version",
    "nickname",
)
LISTS = ("alternate_greetings", "group_only_greetings", "tags")
OBJECTS = ("extensions",)
KNOWN = {*TEXT, *LISTS, *OBJECTS, "character_book", "assets"}


@dataclass(frozen=True)
class CardLimits:
    """How big a card may be (config: limits.card_*)."""

    file_bytes: int = 10 * 1024 * 1024
    field_chars: int = 64_000
    lore_entries: int = 1_000


@dataclass(frozen=True)
class Card:
    """Every field of a card; `extra` holds data keys no spec we know names, kept verbatim."""

    name: str
    description: str = ""
    personality: str = ""
    scenario: str = ""
    first_mes: str = ""
    mes_example: str = ""
    creator_notes: str = ""
    system_prompt: str = ""
    post_history_instructions: str = ""
    creator: str = ""
    character_version: str = ""
    nickname: str = ""
    alternate_greetings: tuple[str, ...] = ()
    group_only_greetings: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    extensions: dict[str, Any] = field(default_factory=dict)
    character_book: dict[str, Any] | None = None
    assets: tuple[dict[str, Any], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    spec: str = "chara_card_v3"  # what it was read as: chara_card_v1 | _v2 | _v3

    def data(self) -> dict[str, Any]:
        """The card's `data` object as V3 writes it."""
        out: dict[str, Any] = {**self.extra}
        for f in fields(self):
            if f.name in ("extra", "spec"):
                continue
            value = getattr(self, f.name)
            if isinstance(value, tuple):
                value = list(value)
            if value is None:
                continue
            out[f.name] = value
        return out


def read(raw: bytes, limits: CardLimits) -> Card:
    """A card from a PNG (its `ccv3` chunk, else `chara`) or from card JSON; anything else is
    refused with one line saying what is wrong."""
    if len(raw) > limits.file_bytes:
        raise BadInput(f"the card is {size_text(len(raw))} (limit {size_text(limits.file_bytes)})")
    if raw.startswith(PNG_MAGIC):
        return parse(_png_json(raw), limits)
    if raw.startswith(b"\xff\xd8"):
        raise BadInput(
            "that is a JPEG picture, not a card — send the PNG as a file (Telegram turns "
            "photos into JPEG, which drops the card)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("that file is neither a PNG character card nor card JSON") from None
    if not text.lstrip().startswith("{"):
        raise BadInput("that file is neither a PNG character card nor card JSON")
    return parse(_json(text, "the card JSON"), limits)


def size_text(n: int) -> str:
    """A byte count as people read it: 212 KB, 1.5 MB."""
    if n >= 1_048_576:
        return f"{n / 1_048_576:.1f}".removesuffix(".0") + " MB"
    return f"{n / 1024:.1f}".removesuffix(".0") + " KB"


def _png_json(raw: bytes) -> dict[str, Any]:
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.load()  # reads to the end: text chunks after the pixels, and every CRC
            chunks = dict(getattr(image, "text", {}) or {})
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise BadInput(
            f"the PNG is damaged or cut short ({str(exc) or type(exc).__name__})"
        ) from None
    encoded = chunks.get("ccv3") or chunks.get("chara")
    if not encoded:
        raise BadInput("this PNG holds no character card (no 'ccv3' or 'chara' text chunk)")
    try:
        decoded = base64.b64decode(encoded, validate=False).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise BadInput("the card in this PNG is not base64-encoded JSON") from None
    return _json(decoded, "the card in this PNG")


def _json(text: str, what: str) -> dict[str, Any]:
    try:
        found = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{what} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(found, dict):
        raise BadInput(f"{what} is not a JSON object")
    return found


def parse(obj: dict[str, Any], limits: CardLimits) -> Card:
    """A card from its JSON: V2/V3 (`spec` and `data`) or V1 (the fields at the top)."""
    spec = obj.get("spec")
    if spec in ("chara_card_v2", "chara_card_v3"):
        data = obj.get("data")
        if not isinstance(data, dict):
            raise BadInput(f"the {spec} card has no 'data' object")
    elif spec is None:
        data, spec = obj, "chara_card_v1"
    else:
        raise BadInput(f"unknown card spec '{str(spec)[:40]}' (chara_card_v2 or v3 expected)")
    values: dict[str, Any] = {"spec": spec}
    for key in TEXT:
        values[key] = _text(data, key, limits)
    for key in LISTS:
        values[key] = _list(data, key, limits)
    ext = data.get("extensions", {})
    if not isinstance(ext, dict):
        raise BadInput("field 'extensions' must be an object")
    values["extensions"] = ext
    values["character_book"] = check_book(data.get("character_book"), limits)
    assets = data.get("assets", [])
    if not isinstance(assets, list) or not all(isinstance(a, dict) for a in assets):
        raise BadInput("field 'assets' must be a list of objects")
    values["assets"] = tuple(assets)
    values["extra"] = {k: v for k, v in data.items() if k not in KNOWN}
    if not values["name"].strip():
        raise BadInput("the card has no name")
    return Card(**values)


def _fits(what: str, text: str, limits: CardLimits) -> None:
    """One rule for every text of a card: at most limits.field_chars characters."""
    if len(text) > limits.field_chars:
        raise BadInput(f"{what} is {len(text):,} characters (limit {limits.field_chars:,})")


def _text(data: dict[str, Any], key: str, limits: CardLimits) -> str:
    value = data.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadInput(f"field '{key}' must be text")
    _fits(f"field '{key}'", value, limits)
    return value


def _list(data: dict[str, Any], key: str, limits: CardLimits) -> tuple[str, ...]:
    value = data.get(key, [])
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"field '{key}' must be a list of text")
    for item in value:
        _fits(f"an item of '{key}'", item, limits)
    return tuple(value)


def check_book(book: Any, limits: CardLimits) -> dict[str, Any] | None:
    """A lorebook as a card or /lore may hold it: an entries list within the limits."""
    if book is None:
        return None
    if not isinstance(book, dict) or not isinstance(book.get("entries", []), list):
        raise BadInput("field 'character_book' must be an object with a list of entries")
    entries = book.get("entries", [])
    if len(entries) > limits.lore_entries:
        raise BadInput(
            f"the lorebook has {len(entries):,} entries (limit {limits.lore_entries:,})"
        )
    for entry in entries:
        content = entry.get("content", "") if isinstance(entry, dict) else None
        if not isinstance(content, str):
            raise BadInput("every lorebook entry must be an object with text 'content'")
        _fits("a lorebook entry", content, limits)
    return book


def v3(card: Card) -> dict[str, Any]:
    """The card as Character Card V3 JSON."""
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": card.data()}


def v2(card: Card) -> dict[str, Any]:
    """The card as V2 JSON (the V3-only fields stay out; older tools read this)."""
    data = card.data()
    for key in ("group_only_greetings", "nickname", "assets"):
        data.pop(key, None)
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": data}


def _b64(obj: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(obj, ensure_ascii=False).encode()).decode("ascii")


def placeholder(name: str) -> bytes:
    """A plain 400×600 PNG for a card whose persona has no image (one colour per name)."""
    shade = sum(name.encode()) % 96
    image = Image.new("RGB", (400, 600), (64 + shade, 72 + shade // 2, 96 + shade))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def png(card: Card, image: bytes | None = None) -> bytes:
    """The card inside a PNG: `ccv3` (V3) and `chara` (V2) chunks, as SillyTavern writes."""
    with Image.open(io.BytesIO(image or placeholder(card.name))) as picture:
        picture.load()
        info = PngImagePlugin.PngInfo()
        info.add_text("chara", _b64(v2(card)))
        info.add_text("ccv3", _b64(v3(card)))
        out = io.BytesIO()
        picture.save(out, "PNG", pnginfo=info)  # other chunks of the old image are dropped
        return out.getvalue()
