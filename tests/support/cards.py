"""Character cards built here from the published V1/V2/V3 specifications (no third-party
card is copied): JSON objects, and PNGs with their base64 text chunks."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from PIL import Image, PngImagePlugin


def v2_card(**data: Any) -> dict[str, Any]:
    """A full chara_card_v2 object (every field the spec names), overridable."""
    fields: dict[str, Any] = {
        "name": "Seraphina",
        "description": "{{char}} is a forest guardian who heals travellers.",
        "personality": "gentle, protective, curious",
        "scenario": "{{user}} wakes up in {{char}}'s glade after a storm.",
        "first_mes": "*{{char}} kneels beside {{user}}.* You're safe now, {{user}}.",
        "mes_example": "<START>\n{{user}}: Who are you?\n{{char}}: A friend of the forest.",
        "creator_notes": "Best with a slow pace.",
        "system_prompt": "{{original}} Stay in character as {{char}}.",
        "post_history_instructions": "Write {{char}}'s next reply only.",
        "alternate_greetings": ["*{{char}} hums a song.*", "Oh! You're awake."],
        "character_book": {
            "name": "Glade lore",
            "extensions": {},
            "entries": [
                {
                    "keys": ["glade"],
                    "content": "The glade is hidden by old magic.",
                    "extensions": {},
                    "enabled": True,
                    "insertion_order": 10,
                }
            ],
        },
        "tags": ["fantasy", "healer"],
        "creator": "tester",
        "character_version": "1.2",
        "extensions": {"talkativeness": "0.5", "depth_prompt": {"depth": 4, "prompt": "x"}},
    }
    fields.update(data)
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": fields}


def v3_card(**data: Any) -> dict[str, Any]:
    """A chara_card_v3 object: the V2 fields plus V3's own."""
    fields = v2_card()["data"]
    fields.update(
        nickname="Sera",
        group_only_greetings=["*{{char}} waves at everyone.*"],
        assets=[{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
        creation_date=1700000000,
        source=["https://example.org/seraphina"],
    )
    fields.update(data)
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": fields}


def b64(obj: Any) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


def card_png(chunks: dict[str, str], size: tuple[int, int] = (32, 48)) -> bytes:
    """A PNG with these tEXt chunks (keyword → text)."""
    info = PngImagePlugin.PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    out = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def text_chunks(png: bytes) -> dict[str, str]:
    """The text chunks of a PNG, as a reader of cards sees them."""
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        return dict(image.text)  # type: ignore[attr-defined]


def v1_card() -> dict[str, Any]:
    """A V1 card: the fields at the top level, no `spec`."""
    data = v2_card()["data"]
    return {
        k: data[k]
        for k in ("name", "description", "personality", "scenario", "first_mes", "mes_example")
    }


# Every way a card arrives: (file name, content type, bytes, the version the import names).
FORMATS: dict[str, tuple[str, str, bytes, str]] = {
    "v1-json": ("sera.json", "application/json", json.dumps(v1_card()).encode(), "V1"),
    "v2-png": ("sera.png", "image/png", card_png({"chara": b64(v2_card())}), "V2"),
    "v2-json": ("sera.json", "application/json", json.dumps(v2_card()).encode(), "V2"),
    "v3-png": ("sera.png", "image/png", card_png({"ccv3": b64(v3_card())}), "V3"),
    "v3-json": ("sera.json", "application/json", json.dumps(v3_card()).encode(), "V3"),
}
