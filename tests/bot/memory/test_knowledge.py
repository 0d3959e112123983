"""The shared-knowledge pass and /persona knowledge."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.app import build_core
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI


async def test_llm_pass_is_scrubbed_and_shared_with_other_users(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    settings = make_settings(
        tmp_path, fake_llm.base_url, memory={"extraction": True, "knowledge_every": 1}
    )
    core = build_core(settings)
    await core.start()
    try:
        leaked = (
            "People asking about visas want the checklist first. Joana Reis "
            "(joana@example.org, +44 7700 900123) from Braga found this helpful."
        )
        fake_llm.json_next('{"memories": []}', json.dumps({"knowledge": leaked}))
        await core.handle_text(who("joana"), "I'm Joana from Braga, what do I need for a visa?")
        assert core.extractor is not None
        await core.extractor.wait()
        ctx = await core.context(who("joana"))
        stored = (await core.personas.active(ctx)).knowledge
        assert "visas want the checklist first" in stored
        for secret in ("Joana", "Reis", "joana@", "7700", "Braga"):
            assert secret not in stored, stored
        await core.handle_text(who("kim"), "hello")
        system = fake_llm.chat_requests[-1]["messages"][0]["content"]
        assert "visas want the checklist first" in system  # every user of the persona gets it
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
    assert "Be kind." in (await bob.say("/persona knowledge show name=assistant")).text
    assert not (await alice.say("/persona knowledge clear")).error
    assert "(nothing yet)" in (await alice.say("/persona knowledge show")).text
