"""Stopping a reply and bounding it: what was written is kept, marked as cut, and the next
prompt knows it was cut; llm.timeout_s ends a reply that streams on and on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.app import build_core
from bot.core import Core
from storage.models import Turn
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI

LONG = " ".join(f"word{i}" for i in range(60))


async def _replies(core: Core) -> list[tuple[str, str]]:
    async with core.db.sessions() as s:
        rows = await s.execute(select(Turn.content, Turn.status).where(Turn.role == "assistant"))
        return [(str(c), str(st)) for c, st in rows.all()]


async def test_a_stopped_reply_keeps_what_was_written(core: Core, fake_llm: FakeOpenAI) -> None:
    fake_llm.server.slow_s = 0.05
    fake_llm.fail_next("slow")
    seen: list[str] = []

    async def sink(chunk: str) -> None:
        seen.append(chunk)
        if len(seen) == 3:
            assert core.stop(who("alice"))  # as ⏹ or Ctrl-C would

    reply = await core.handle_text(who("alice"), LONG, sink)
    assert not reply.error and reply.text.endswith("(stopped — what was written so far is kept)")
    [(kept, status)] = await _replies(core)
    assert status == "cut" and kept.startswith("echo: word0") and "word59" not in kept
    assert kept.strip() in reply.text
    assert not core.stop(who("alice"))  # nothing is being written any more
    await core.handle_text(who("alice"), "go on", sink)
    history = [m["content"] for m in fake_llm.chat_requests[-1]["messages"]]
    assert any(h.endswith("[cut off]") and "word0" in h for h in history)


async def test_a_reply_past_the_timeout_is_cut_with_a_clear_message(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    settings = make_settings(
        tmp_path, fake_llm.base_url, llm={"timeout_s": 0.6, "retries": 0, "turn_budget_s": 30}
    )
    core = build_core(settings)
    await core.start()
    fake_llm.server.slow_s = 0.1  # ~6 s for the whole answer: ten times the limit
    fake_llm.fail_next("slow")
    chunks: list[str] = []

    async def sink(chunk: str) -> None:
        chunks.append(chunk)

    reply = await core.handle_text(who("alice"), LONG, sink)
    assert reply.error and "did not finish within 0.6s (llm.timeout_s)" in reply.text
    [(kept, status)] = await _replies(core)
    assert status == "cut" and kept.startswith("echo: word0") and "word59" not in kept
    fake_llm.fail_next("slow")
    plain = await core.handle_text(who("bob"), LONG)  # not streamed: bounded the same way
    assert plain.error and "llm.timeout_s" in plain.text
    await core.close()
