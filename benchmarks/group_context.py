"""What channel context costs a turn's prompt building.

A real core on SQLite; one server channel holding 500 lines of messy chat from twelve people
and three personas (names, small talk, dates, questions answered in the next line). For one
turn we time what the channel adds: reading its recent lines and the reply chain from the
database and building the block (ChannelContext.heard), and putting it into the messages
(build_messages) — against building the same prompt without it. The arms alternate, so the
machine's drift hits both alike.

python benchmarks/group_context.py [--turns 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_core  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.messages import Incoming, Who  # noqa: E402
from personas.prompt import HistoryItem, build_messages  # noqa: E402

PEOPLE = [
    "Maya", "Jonas", "Priya", "Tom", "Lea", "Omar", "Ines", "Kai", "Sofia", "Ben", "Ada", "Luis"
]  # fmt: skip
LINES = [
    "hey {n}, are you coming on the {d}th?",
    "lol yes",
    "the match moved to {d} March, {n} told me",
    "anyone know a good pasta place near Rua Augusta?",
    "{n} said the flat costs 1450 a month",
    "wait what",
    "I'm training for the Lisbon half marathon in October",
    "ok cool, see you at 9",
    "did {n} finish the Q3 report?",
    "haha that's fair",
]


async def run(turns: int, window: int) -> tuple[list[float], list[float], list[float], int]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate(
            {
                "data_dir": tmp,
                "memory": {"enabled": False},
                "voice": {"provider": "none"},
                "scheduler": {"enabled": False},
                "limits": {"channel_turns": window},
                "group": {"channel_chars": 200_000, "reply_depth": 5},
            }
        )
        core = build_core(settings)
        await core.start()
        try:
            rng = random.Random(5)
            base = Who("discord", "1", "Maya", "guild", "group", channel_ref="general")
            ctx = await core.context(base)
            persona = await core.personas.active(ctx)
            lines = core.group.lines
            refs: list[str] = []
            for i in range(500):
                name = rng.choice(PEOPLE)
                text = rng.choice(LINES).format(n=rng.choice(PEOPLE), d=rng.randint(1, 28))
                reply_to = refs[-1] if refs and rng.random() < 0.3 else ""
                speaker = persona.display_name if i % 4 == 3 else name
                await lines.add(
                    ctx.space_id,
                    "general",
                    speaker,
                    text,
                    user_id=ctx.user_id,
                    persona_id=persona.id if i % 4 == 3 else None,
                    message_ref=f"m{i}",
                    reply_to_ref=reply_to,
                )
                refs.append(f"m{i}")
            history = [
                HistoryItem("user" if i % 2 == 0 else "assistant", rng.choice(LINES))
                for i in range(20)
            ]
            incoming = Incoming(
                replace(base), "what did Omar say about the flat?", reply_to="m490"
            )
            without: list[float] = []
            with_it: list[float] = []
            cold: list[float] = []
            size = 0
            for n in range(turns):
                for arm in (0, 1, 2) if n % 2 == 0 else (2, 1, 0):
                    if arm == 2:  # right after a DELETE emptied the in-process copy
                        lines._recent.clear()
                    start = time.perf_counter()
                    if arm == 2:
                        heard = await core.group.heard(ctx, incoming, persona, set(), None)
                        build_messages(persona, history, incoming.text, channel=heard.text)
                        cold.append(time.perf_counter() - start)
                    elif arm:
                        heard = await core.group.heard(ctx, incoming, persona, set(), None)
                        build_messages(persona, history, incoming.text, channel=heard.text)
                        with_it.append(time.perf_counter() - start)
                        size = len(heard.text.splitlines())
                    else:
                        build_messages(persona, history, incoming.text)
                        without.append(time.perf_counter() - start)
            return without, with_it, cold, size
        finally:
            await core.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=400)
    args = parser.parse_args()
    for window in (200, 20):
        without, with_it, cold, size = asyncio.run(run(args.turns, window))
        a = statistics.median(without) * 1e6
        b = statistics.median(with_it) * 1e6
        c = statistics.median(cold) * 1e6
        print(
            f"{window} channel lines in context (+ a reply chain; {size} lines in the block): "
            f"prompt building {a:.0f} µs without, {b:.0f} µs with — channel context adds "
            f"{(b - a) / 1000:.2f} ms per turn (median of {args.turns}); "
            f"{(c - a) / 1000:.2f} ms on a turn that must read the lines from the database"
        )


if __name__ == "__main__":
    main()
