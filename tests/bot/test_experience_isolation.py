"""Experience blocks are no channel between users of one profile, even with the worst model.

The loopback model is obedient: every structured answer (facts, knowledge, experience) copies
all the user text it was shown. Users who share a profile tell a persona generated personal
data — names (one opening a sentence), e-mail addresses, phone numbers, street addresses, codes,
quoted messages — with the knowledge and experience passes after every message. Then no block
may hold any of it, and no prompt of one user may hold another's.
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

USERS = 5
GROUP = "guild-7"
STREETS = ("Acacia Avenue", "Harbour Road", "Linden Lane", "Mill Street", "Quarry Way")


def personal(rng: random.Random) -> dict[str, str]:
    """One user's generated personal data (random, so no list anywhere holds it)."""
    letters = string.ascii_lowercase
    name = "".join(rng.choices(letters, k=7)).capitalize()
    return {
        "name": name,
        "email": f"{''.join(rng.choices(letters, k=6))}@{''.join(rng.choices(letters, k=5))}.org",
        "phone": f"+1 415 {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
        "address": f"{rng.randint(2, 99)} {rng.choice(STREETS)}",
        "code": f"{''.join(rng.choices(letters, k=6))}{rng.randint(100, 999)}",
        "quote": " ".join("".join(rng.choices(letters, k=5)) for _ in range(4)),
    }


@pytest.mark.parametrize("seed", [1, 2])
async def test_no_block_or_other_prompt_holds_anyones_personal_data(
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
    users = [
        replace(who(f"user{i}", GROUP, "group"), channel_ref=f"room-{i}") for i in range(USERS)
    ]
    told = {i: personal(rng) for i in range(USERS)}
    try:
        for i, u in enumerate(users):
            d = told[i]
            assert not (await core.handle_text(u, "/me profile qsr_real_estate")).error
            for text in (
                "hello, landlords keep asking me about lease terms and foot traffic",
                f"{d['name']} is my colleague. Write to {d['email']} or call {d['phone']}",
                f"our office is at {d['address']}, door code {d['code']}",
                f'my boss said "{d["quote"]}" this morning',
                "what should I ask landlords about lease terms next?",
            ):
                reply = await core.handle_text(u, text)
                assert not reply.error, reply.text
            assert core.extractor is not None
            await core.extractor.wait()
        blocks = await core.profiles.repo.blocks(
            (await core.personas.default(await core.context(users[0]))).id
        )
        mark = len(fake_llm.requests)
        for i, u in enumerate(users):
            await core.handle_text(u, f"probe {i}: what do people like me ask?")
    finally:
        await core.close()

    experience = [
        r
        for r in fake_llm.requests[:mark]
        if "notebook of what you have learned" in str(r["messages"][0]["content"])
    ]
    assert experience, "the experience pass never ran"
    assert blocks and blocks[0][0] == "qsr_real_estate" and blocks[0][1].strip()
    for _, body in blocks:
        for d in told.values():
            for kind, value in d.items():
                assert value.lower() not in body.lower(), f"{kind} {value!r} reached a block"
    for request in fake_llm.requests[mark:]:
        if request.get("response_format") or "messages" not in request:
            continue  # a background pass, or an embedding
        last = next(
            str(m["content"]) for m in reversed(request["messages"]) if m["role"] == "user"
        )
        owner = next(i for i in range(USERS) if f"probe {i}:" in last)
        text = "\n".join(str(m["content"]) for m in request["messages"])
        assert "lease terms" in text  # the block (or their own history) is there
        for j, d in told.items():
            if j != owner:
                for kind, value in d.items():
                    assert value not in text, f"user{j}'s {kind} reached user{owner}'s prompt"
