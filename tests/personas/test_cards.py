"""Reading and writing character cards: every format in, V3 (with V2 beside it) out."""

from __future__ import annotations

import base64
import json

import pytest

from personas.cards import CardLimits, png, read, v2, v3
from personas.errors import BadInput
from tests.support.cards import b64, card_png, text_chunks, v2_card, v3_card

LIMITS = CardLimits()


def test_every_format_is_read() -> None:
    from_v2_png = read(card_png({"chara": b64(v2_card())}), LIMITS)
    assert from_v2_png.spec == "chara_card_v2" and from_v2_png.name == "Seraphina"
    assert from_v2_png.extensions["depth_prompt"] == {"depth": 4, "prompt": "x"}
    assert from_v2_png.alternate_greetings == ("*{{char}} hums a song.*", "Oh! You're awake.")
    # A PNG with both chunks is read from ccv3 (its newer data wins).
    both = card_png({"chara": b64(v2_card()), "ccv3": b64(v3_card(nickname="Sera V3"))})
    from_v3 = read(both, LIMITS)
    assert from_v3.spec == "chara_card_v3" and from_v3.nickname == "Sera V3"
    assert from_v3.group_only_greetings == ("*{{char}} waves at everyone.*",)
    assert from_v3.extra == {
        "creation_date": 1700000000,
        "source": ["https://example.org/seraphina"],
    }
    as_json = read(json.dumps(v3_card()).encode(), LIMITS)
    assert as_json.data() == from_v3.data() | {"nickname": "Sera"}
    v1 = read(
        json.dumps({"name": "Old", "description": "flat", "first_mes": "Hi"}).encode(), LIMITS
    )
    assert (v1.spec, v1.name, v1.description, v1.first_mes) == (
        "chara_card_v1",
        "Old",
        "flat",
        "Hi",
    )


def test_written_cards_carry_v3_and_v2_and_read_back_the_same() -> None:
    card = read(json.dumps(v3_card()).encode(), LIMITS)
    out = png(card)
    chunks = text_chunks(out)
    assert set(chunks) == {"chara", "ccv3"}
    v2_back = json.loads(base64.b64decode(chunks["chara"]))
    assert v2_back["spec"] == "chara_card_v2" and "nickname" not in v2_back["data"]
    assert v2_back["data"]["extensions"] == card.extensions
    assert json.loads(base64.b64decode(chunks["ccv3"])) == v3(card)
    again = read(out, LIMITS)
    assert again.data() == card.data()
    assert v2(card)["spec_version"] == "2.0" and v3(card)["spec_version"] == "3.0"


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (card_png({"Comment": "hello"}), "no character card (no 'ccv3' or 'chara' text chunk)"),
        (card_png({"chara": b64(v2_card())})[:300], "the PNG is damaged or cut short"),
        (card_png({"chara": "!!!not base64!!!"}), "not base64-encoded JSON"),
        (card_png({"chara": base64.b64encode(b"[1, 2").decode()}), "is not valid JSON"),
        (b'{"spec": "chara_card_v2", "data": ', "the card JSON is not valid JSON (line 1"),
        (b"GIF89a\x00\x00", "neither a PNG character card nor card JSON"),
        (json.dumps(v2_card(name="")).encode(), "the card has no name"),
        (json.dumps(v2_card(tags="fantasy")).encode(), "field 'tags' must be a list of text"),
        (json.dumps({"spec": "chara_card_v9", "data": {}}).encode(), "unknown card spec"),
        (json.dumps(v2_card(description="x" * 64_001)).encode(), "'description' is 64,001"),
        (
            json.dumps(
                v2_card(character_book={"entries": [{"keys": ["k"], "content": "c"}] * 1001})
            ).encode(),
            "the lorebook has 1,001 entries (limit 1,000)",
        ),
    ],
    ids=lambda x: x if isinstance(x, str) else "",
)
def test_bad_cards_are_refused_with_one_clear_line(raw: bytes, says: str) -> None:
    with pytest.raises(BadInput) as refused:
        read(raw, LIMITS)
    assert says in refused.value.message and "\n" not in refused.value.message


def test_a_file_over_the_size_limit_is_refused_before_it_is_read() -> None:
    with pytest.raises(BadInput, match=r"the card is 2 KB \(limit 1 KB\)"):
        read(b"{" + b" " * 2000, CardLimits(file_bytes=1024))
