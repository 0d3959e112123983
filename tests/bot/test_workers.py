"""Two workers (two cores, one PostgreSQL database): a user's second message, arriving at the
other worker while the first is being answered, waits for it and sees it in its prompt; a
persona edited on one worker is the one the other uses next."""

from __future__ import annotations

import asyncio

import pytest

from bot.app import build_core
from bot.config import Settings
from bot.messages import Attachment
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI

ANA = who("ana", "g1", "group")
LONG = " ".join(f"word{i}" for i in range(20))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_users_turns_keep_their_order_across_workers(
    settings: Settings, fake_llm: FakeOpenAI
) -> None:
    a, b = build_core(settings), build_core(settings)
    await a.start()
    await b.start()
    try:
        fake_llm.fail_next("slow")  # the first answer takes about a second
        first = asyncio.ensure_future(a.handle_text(ANA, f"first {LONG}"))
        await asyncio.sleep(0.3)  # worker a is answering now
        second = await b.handle_text(ANA, "second")
        assert first.done() and not (await first).error  # b waited for a's turn to end
        assert not second.error
        said = [
            m["content"] for m in fake_llm.chat_requests[-1]["messages"] if m["role"] == "user"
        ]
        assert said[-2:] == [f"first {LONG}", "second"]  # the first, stored, then the second

        assert not (await a.handle_text(ANA, '/persona create kit prompt="Kit."')).error
        await a.handle_text(ANA, '/persona edit kit prompt="Kit, edited on worker a."')
        await asyncio.sleep(0.2)  # the note crosses to worker b
        await b.handle_text(ANA, "hello kit")
        system = fake_llm.chat_requests[-1]["messages"][0]["content"]
        assert "Kit, edited on worker a." in system
    finally:
        await a.close()
        await b.close()


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_a_document_added_on_one_worker_is_used_by_the_next_turn_on_another(
    settings: Settings, fake_llm: FakeOpenAI
) -> None:
    """The list of a persona's documents is cached per worker; adding one on worker a drops
    it on worker b too, and both read the one shared LanceDB root."""
    assert settings.vectors_location.shared
    a, b = build_core(settings), build_core(settings)
    await a.start()
    await b.start()
    try:
        assert not (await a.handle_text(ANA, '/persona create sage prompt="You help."')).error
        await b.handle_text(ANA, "/persona switch sage")
        await b.handle_text(ANA, "Who keeps the lighthouse?")  # b reads the (empty) list now
        added = await a.handle_text(
            ANA,
            "/knowledge add",
            attachments=(
                Attachment("notes.txt", "text/plain", b"The lighthouse keeper is Odran."),
            ),
        )
        assert not added.error, added.text
        await asyncio.sleep(0.2)  # the note crosses to worker b
        await b.handle_text(ANA, "Who keeps the lighthouse?")
        assert "Odran" in fake_llm.chat_requests[-1]["messages"][0]["content"]
    finally:
        await a.close()
        await b.close()
