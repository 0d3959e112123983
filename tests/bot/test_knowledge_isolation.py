"""Shared knowledge is no channel between users, even with the worst model.

The loopback model here is obedient: every structured answer (facts, knowledge) copies all
the user text it was shown. Many users tell a persona their secrets — lower-case codes,
quoted passwords, a name at the start of a sentence — on shared personas (a preset and a public
one), with extraction and the knowledge pass after every message. Then every prompt the
model was ever sent for one user's turn must hold no other user's secret.
"""

from __future__ import annotations

import random
import string
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import build_core
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI

USERS = 7
GROUP = "guild-9"


def secrets_of(rng: random.Random, i: int) -> list[str]:
    """Three secrets a user might tell: a code, a quoted password, a name starting a sentence."""
    word = "".join(rng.choices(string.ascii_lowercase, k=7))
    code = f"{word}{rng.randint(100, 999)}"
    password = "-".join("".join(rng.choices(string.ascii_lowercase, k=5)) for _ in range(2))
    name = "".join(rng.choices(string.ascii_lowercase, k=6)).capitalize()
    return [code, password, name]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_no_prompt_holds_another_users_secret(
    tmp_path: Path, fake_llm: FakeOpenAI, seed: int
) -> None:
    rng = random.Random(seed)
    fake_llm.server.obedient = True
    settings = make_settings(
        tmp_path,
        fake_llm.base_url,
        memory={"extraction": True, "knowledge_every": 1, "knowledge_min_users": 3},
    )
    core = build_core(settings)
    await core.start()
    # Each in a channel of their own: what is said in a shared channel is public on purpose
    # (channel context, tests/adapters/*/test_group.py); here only memory and knowledge could
    # carry a secret across.
    users = [
        replace(who(f"user{i}", GROUP, "group"), channel_ref=f"room-{i}") for i in range(USERS)
    ]
    told = {i: secrets_of(rng, i) for i in range(USERS)}
    try:
        line = '/persona create helper prompt="Helps." public=yes'
        made = await core.handle_text(users[0], line)
        assert not made.error, made.text
        for persona in ("assistant", "helper"):
            for i, u in enumerate(users):
                code, password, name = told[i]
                await core.handle_text(u, f"/persona switch {persona}")
                for text in (
                    "hello, how are you today? I need some help with my plans",
                    f"my locker code is {code}, keep it safe",
                    f'the wifi password is "{password}" please remember it',
                    f"{name} is my sister. {name} at {name.lower()}@example.org knows it too",
                    "thanks, what should I do next with my plans?",
                ):
                    reply = await core.handle_text(u, text)
                    assert not reply.error, reply.text
                assert core.extractor is not None
                await core.extractor.wait()
        mark = len(fake_llm.requests)
        for i, u in enumerate(users):  # one more turn each, with everything learned in place
            await core.handle_text(u, f"probe {i}: what do you know?")
        if core.extractor is not None:
            await core.extractor.wait()
    finally:
        await core.close()

    learned = [
        r for r in fake_llm.requests[:mark] if r.get("response_format")
    ]  # the passes did run, and the model did copy everything into its answers
    assert len(learned) >= USERS * 2  # exchanges that arrive together share a pass
    prompts = [r for r in fake_llm.requests if not r.get("response_format")]
    assert len(prompts) == USERS * 2 * 5 + USERS
    checked = 0
    for request in prompts:
        text = "\n".join(str(m["content"]) for m in request["messages"])
        last = str(request["messages"][-1]["content"])
        owner = next(
            (
                i
                for i in range(USERS)
                if any(s in text for s in told[i][:2]) or f"probe {i}:" in last
            ),
            None,
        )
        for j in range(USERS):
            if j == owner:
                continue
            for secret in told[j]:
                assert secret not in text, f"user{j}'s secret {secret!r} reached a prompt"
        checked += 1
    assert checked == len(prompts)
