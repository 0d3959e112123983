"""Isolation as a property, in scenes: several personas answer several people in one channel,
the model copies every user text it is shown into every structured answer, and still no
persona's long-term memory of one person reaches another person's prompt, and nothing said in
a DM reaches the channel."""

from __future__ import annotations

import asyncio
import re
import tempfile
from dataclasses import replace
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.app import build_core
from bot.core import Core
from bot.messages import Incoming, Who
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI

USERS = ["ann", "ben", "cat"]
CAST = ["assistant", "coder", "friend"]  # presets: each user also talks to them in a DM
MODES = ["round_robin", "natural", "all"]
REMEMBERED = re.compile(r"What you remember about .*?(?=\n\n|\Z)", re.S)
PUBLIC = re.compile(r"pub\|(ann|ben|cat)\|\d+")

step = st.tuples(st.sampled_from(USERS), st.sampled_from(["", *CAST]))


def on_stage(user: str) -> Who:
    return replace(who(user, "guild", "group", admin=user == "ann"), channel_ref="stage")


async def _everyone(core: Core, w: Who, text: str) -> None:
    reply = await core.chat(Incoming(w, text))
    assert not reply.error, reply.text
    while reply.next is not None:
        follow = await core.scene_next(w)
        if follow is None:
            return
        reply = follow


async def _scenario(fake: FakeOpenAI, mode: str, steps: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = make_settings(
            Path(tmp),
            fake.base_url,
            limits={"recent_turns": 2},
            memory={"extraction": True, "min_relevance": -1.0, "summary_every": 2},
            scene={"mode": mode, "max_chain": 1},
        )
        core = build_core(config)
        await core.start()
        try:
            for user in USERS:  # secrets told in private, to each persona of the scene
                dm = who(user, f"dm:{user}", "dm")
                for persona in CAST:
                    assert not (await core.handle_text(dm, f"/persona switch {persona}")).error
                    await _everyone(core, dm, f"SECRET-{user}-{persona} is my pin")
            assert core.extractor is not None
            await core.extractor.wait()
            started = await core.handle_text(on_stage("ann"), "/scene start " + " ".join(CAST))
            assert not started.error, started.text
            mark = len(fake.requests)
            for i, (user, named) in enumerate(steps):
                await _everyone(core, on_stage(user), f"pub|{user}|{i} {named}".strip())
                await core.extractor.wait()
            for body in fake.requests[mark:]:
                system = str(body["messages"][0]["content"])
                if body.get("response_format") or "running summary" in system:
                    continue  # one owner's own passes (a DM-scope summary reads every space)
                everything = "\n".join(str(m["content"]) for m in body["messages"])
                assert "SECRET-" not in everything, everything  # a DM never reaches the stage
                asked = [m["content"] for m in body["messages"] if m["role"] == "user"][-1]
                person = PUBLIC.search(asked)
                for block in REMEMBERED.findall(system):
                    # Long-term memory in a prompt: only the asking person's own.
                    assert person is not None and not asked.startswith(tuple(CAST)), system
                    owners = {m.group(1) for m in PUBLIC.finditer(block)}
                    assert owners <= {person.group(1)}, block
        finally:
            await core.close()


@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # a failure is shown as found
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(mode=st.sampled_from(MODES), steps=st.lists(step, min_size=2, max_size=8))
def test_no_persona_memory_of_one_person_reaches_another_in_a_scene(
    fake_llm: FakeOpenAI, mode: str, steps: list[tuple[str, str]]
) -> None:
    fake_llm.server.obedient = True
    asyncio.run(_scenario(fake_llm, mode, steps))
