"""Character cards: how fast 1,000 cards are imported, and what a 200-entry lorebook adds to
building a turn's prompt.

1. 1,000 different V2 PNG cards (built here from the specification, each ~4 KB of text and a
   lorebook of 5 entries) go through `/persona import` on a real core (SQLite file): cards/s,
   and the codec alone (reading the PNG and checking every field).
2. `build_messages` for a persona with a 200-entry lorebook (keys drawn from chat words,
   some regex, some selective, some constant) over a 20-turn history, against the same persona
   without its book: µs per prompt, and the difference — the scan must stay under 1 ms.

python benchmarks/cards.py
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_core  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.messages import Attachment, Who  # noqa: E402
from personas.cards import CardLimits, read  # noqa: E402
from personas.model import Persona  # noqa: E402
from personas.prompt import HistoryItem, build_messages  # noqa: E402
from tests.support.cards import b64, card_png, v2_card  # noqa: E402

WORDS = [
    "castle",
    "harbour",
    "dragon",
    "sword",
    "glade",
    "tavern",
    "river",
    "winter",
    "market",
    "storm",
    "lantern",
    "forest",
    "mountain",
    "bridge",
    "library",
    "garden",
    "temple",
    "island",
    "desert",
    "village",
    "tower",
    "ship",
    "crown",
    "mirror",
]


def entries(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        kind = i % 10
        e: dict[str, Any] = {
            "keys": [f"{rng.choice(WORDS)}{i}", rng.choice(WORDS) + "s"],
            "content": f"Lore {i}: " + " ".join(rng.choice(WORDS) for _ in range(30)),
            "extensions": {},
            "enabled": True,
            "insertion_order": i,
        }
        if kind == 0:
            e.update(use_regex=True, keys=[f"/{rng.choice(WORDS)}\\s+{i}/i"])
        elif kind == 1:
            e.update(selective=True, secondary_keys=[rng.choice(WORDS)])
        elif kind == 2 and i < 20:
            e.update(constant=True)
        out.append(e)
    return out


def card(i: int, rng: random.Random) -> bytes:
    text = " ".join(rng.choice(WORDS) for _ in range(120))
    book = {"extensions": {}, "entries": entries(rng, 5)}
    return card_png(
        {"chara": b64(v2_card(name=f"Character {i}", description=text, character_book=book))}
    )


async def imports(rng: random.Random) -> None:
    cards = [card(i, rng) for i in range(1000)]
    started = time.perf_counter()
    for raw in cards:
        read(raw, CardLimits())
    parse_s = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate(
            {"data_dir": tmp, "llm": {"model": "openai/none", "api_base": "http://127.0.0.1:9"}}
        )
        core = build_core(settings)
        await core.start()
        started = time.perf_counter()
        for i, raw in enumerate(cards):
            user = Who("console", f"user{i // 50}", "U", "local", "console")
            reply = await core.handle_text(
                user, "/persona import", attachments=(Attachment("c.png", "image/png", raw),)
            )
            assert not reply.error, reply.text
        spent = time.perf_counter() - started
        await core.close()
    size = statistics.mean(len(c) for c in cards) / 1024
    print(
        f"1,000 PNG cards ({size:.1f} KB each): /persona import {1000 / spent:.0f} cards/s "
        f"({spent:.1f} s, into SQLite); reading and checking alone {1000 / parse_s:.0f} cards/s"
    )


def prompts(rng: random.Random) -> None:
    book = {"extensions": {}, "entries": entries(rng, 200), "scan_depth": 4}
    now = datetime.now(UTC)
    base = dict(name="sera", display_name="Seraphina", system_prompt="{{original}}")
    card = {"description": "d", "character_book": book}
    with_book = Persona(id=1, **base, card=card, updated_at=now)  # type: ignore[arg-type]
    without = Persona(id=2, **base, card={"description": "d"}, updated_at=now)  # type: ignore[arg-type]
    history = [
        HistoryItem(
            "user" if i % 2 == 0 else "assistant", " ".join(rng.choice(WORDS) for _ in range(25))
        )
        for i in range(20)
    ]
    timings: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(5):
        for label, persona in (("without", without), ("with", with_book)):
            started = time.perf_counter()
            for _ in range(2000):
                build_messages(persona, history, "what about the castle and the dragons?")
            timings[label].append((time.perf_counter() - started) / 2000 * 1e6)
    plain = statistics.median(timings["without"])
    lore = statistics.median(timings["with"])
    fired = build_messages(with_book, history, "what about the castle and the dragons?")
    count = fired[0]["content"].count("Lore ")
    print(
        f"prompt building, 20-turn history: {plain:.0f} µs without a lorebook, {lore:.0f} µs "
        f"with 200 entries (scan depth 4, {count} fired) — the scan adds {lore - plain:.0f} µs"
    )


if __name__ == "__main__":
    rng = random.Random(17)
    asyncio.run(imports(rng))
    prompts(rng)
