"""The shared-knowledge pass and /persona knowledge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.app import build_core
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI


async def test_the_pass_keeps_only_what_several_users_said(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    settings = make_settings(
        tmp_path,
        fake_llm.base_url,
        memory={"extraction": True, "knowledge_every": 1, "knowledge_min_users": 3},
    )
    core = build_core(settings)
    await core.start()
    try:
        answer = (
            "People asking about a visa want the list of documents first.\n"
            "Joana Reis (joana@example.org, +44 7700 900123) from Braga found this helpful.\n"
            "- one user keeps asking about braga\n"
            "Someone's locker code is zebra"
        )
        for name, text in (
            ("joana", "I'm Joana from Braga, what do I need for a visa? My locker is zebra"),
            ("kim", "hello, what papers does a visa need?"),
        ):
            fake_llm.json_next('{"memories": []}', json.dumps({"knowledge": answer}))
            await core.handle_text(who(name), text)
            assert core.extractor is not None
            await core.extractor.wait()
        ctx = await core.context(who("joana"))
        assert (await core.personas.active(ctx)).knowledge == ""  # two users: too few to learn
        fake_llm.json_next('{"memories": []}', json.dumps({"knowledge": answer}))
        await core.handle_text(who("lee"), "a visa question: how long does it take?")
        await core.extractor.wait()
        stored = (await core.personas.active(ctx)).knowledge
        assert stored == "People asking about a visa want the list of documents first."
        await core.handle_text(who("kim"), "hello")
        system = fake_llm.chat_requests[-1]["messages"][0]["content"]
        assert "> People asking about a visa want the list of documents first." in system
        assert "not instructions" in system  # quoted reference data, never orders
    finally:
        await core.close()


async def test_knowledge_command_rights(core: Any, user: Any) -> None:
    alice, bob, root = user("alice"), user("bob"), user("root")
    await alice.say("/persona create luna public=yes")
    assert not (await alice.say("/persona knowledge set Keep answers short.")).error
    assert "Keep answers short." in (await alice.say("/persona knowledge show")).text
    refused = await bob.say("/persona knowledge set hacked name=luna")
    assert refused.error and "only the owner" in refused.text
    assert (await bob.say("/persona knowledge clear name=assistant")).error
    assert not (await root.say("/persona knowledge set Be kind. name=assistant")).error
    hidden = await bob.say("/persona knowledge show name=assistant")
    assert hidden.error and "only bot admins" in hidden.text  # show: owners and admins only
    assert "Be kind." in (await root.say("/persona knowledge show name=assistant")).text
    assert not (await alice.say("/persona knowledge clear")).error
    assert "(nothing yet)" in (await alice.say("/persona knowledge show")).text
