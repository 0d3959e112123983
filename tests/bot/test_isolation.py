"""Isolation as a property: the prompt for (user, persona) holds only that pair's turns."""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.app import build_core
from storage.keys import OwnerKey
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI

USERS = ["ann", "ben", "cat"]
# "mine" is each user's own private persona (same name, three personas); "shared" is one public
# persona that ann shares in the guild, so three users talk to the very same persona there.
PERSONAS = ["assistant", "coder", "friend", "mine", "shared"]
SPACES = ["local", "guild"]
EVERY = 2  # memory.summary_every
CHANNEL = "Recent messages in this channel"

op = st.tuples(st.sampled_from(USERS), st.sampled_from(PERSONAS), st.sampled_from(SPACES))


async def _scenario(fake: FakeOpenAI, ops: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        # Two recent turns in the prompt: anything older can only come back through recall
        # or the chat's summary, which the copying model rewrites after every turn.
        settings = make_settings(
            Path(tmp),
            fake.base_url,
            limits={"recent_turns": 2},
            # Recall everything it can, summarise as often as it can: the harshest case.
            memory={"min_relevance": -1.0, "summary_every": EVERY},
        )
        core = build_core(settings)
        await core.start()
        start = len(fake.requests)
        expected: dict[tuple[str, str], list[str]] = defaultdict(list)
        # In a group a pair's window and recall hold only what was said in that group.
        where: dict[str, str] = {}
        here: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        try:
            for name in USERS:  # every user owns a persona with the same name "mine"
                for space in SPACES:
                    await core.handle_text(who(name, space, "group"), "/persona list")
                await core.handle_text(
                    who(name, "local", "group"), '/persona create mine prompt="x"'
                )
            shared = '/persona create shared prompt="y" public=yes'
            assert not (await core.handle_text(who("ann", "guild", "group"), shared)).error

            async def run_user(name: str) -> None:
                for i, (u, persona, space) in enumerate(ops):
                    if u != name:
                        continue
                    w = who(name, "guild" if persona == "shared" else space, "group")
                    switched = await core.handle_text(w, f"/persona switch {persona}")
                    assert not switched.error, switched.text
                    marker = f"{name}|{persona}|{i}"
                    expected[(name, persona)].append(marker)
                    where[marker] = w.space_ref
                    here[(name, persona, w.space_ref)].append(marker)
                    reply = await core.handle_text(w, marker)
                    assert reply.text == f"echo: {marker}"

            await asyncio.gather(*(run_user(n) for n in USERS))

            marker_re = re.compile(r"\b(ann|ben|cat)\|(\w+)\|\d+")
            for body in fake.requests[start:]:
                # What others said in the same public channel rides in its own system message
                # just before the new one: lines said there only, never another space's.
                heard = [m for m in body["messages"] if m["content"].startswith(CHANNEL)]
                body = {**body, "messages": [m for m in body["messages"] if m not in heard]}
                if heard:
                    current = [m for m in body["messages"] if m["role"] == "user"][-1]["content"]
                    for said in re.finditer(r"(ann|ben|cat)\|\w+\|\d+", heard[0]["content"]):
                        assert where[said.group(0)] == where[current], heard[0]["content"]
                everything = " ".join(m["content"] for m in body["messages"])
                pairs = {(m.group(1), m.group(2)) for m in marker_re.finditer(everything)}
                if "running summary" in body["messages"][0]["content"]:
                    assert len(pairs) <= 1, everything  # a summary reads one pair's turns
                    continue
                chat = [m["content"] for m in body["messages"] if m["role"] != "system"]
                name, persona, _ = chat[-1].split("|")
                # Recalled memories and the summary ride in the system prompt: this pair's only.
                assert pairs == {(name, persona)}, everything
                sent_markers = [c.removeprefix("echo: ") for c in chat]
                mine = here[(name, persona, where[chat[-1]])]
                # This pair's latest turns here (the window, and any a summary has yet to
                # cover), then the new message.
                upto = mine[: mine.index(chat[-1]) + 1]
                said = [m for m in upto for _ in (0, 1)][:-1]
                assert sent_markers == said[-len(sent_markers) :]
                assert min(len(said), 3) <= len(sent_markers) <= 3 + EVERY
                recalled_here = marker_re.findall(body["messages"][0]["content"])
                if len(said) > len(sent_markers):  # older turns exist: recall or summary has them
                    assert recalled_here, body["messages"][0]["content"]
            for (name, persona), markers in expected.items():
                ctx = await core.context(who(name, "guild", "group"))
                p = await core.personas.find(ctx, persona)
                stored = await core.turns.recent(OwnerKey(ctx.user_id, p.id), 1000)
                assert [t.content for t in stored if t.role == "user"] == markers
        finally:
            await core.close()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, min_size=1, max_size=14))
def test_prompts_never_mix_pairs(fake_llm: FakeOpenAI, ops: list[tuple[str, str, str]]) -> None:
    asyncio.run(_scenario(fake_llm, ops))


async def test_a_persona_edited_between_two_turns_speaks_as_edited_at_once(
    fake_llm: FakeOpenAI, tmp_path: Path
) -> None:
    """The turn reads personas and choices from an in-process cache: an edit, a switch, a
    retirement or a deletion (whose id SQLite may hand to the next persona) must show in the
    very next turn, for its owner and for another user of a shared persona."""
    core = build_core(make_settings(tmp_path, fake_llm.base_url))
    await core.start()
    ann, ben = who("ann", "guild", "group"), who("ben", "guild", "group")

    async def system_prompt(w: Any, text: str) -> str:
        reply = await core.handle_text(w, text)
        assert not reply.error, reply.text
        return str(fake_llm.requests[-1]["messages"][0]["content"])

    try:
        ok = await core.handle_text(ann, '/persona create tale prompt="voice-one" public=yes')
        assert not ok.error, ok.text
        for w in (ann, ben):
            assert not (await core.handle_text(w, "/persona switch tale")).error
            assert "voice-one" in await system_prompt(w, "hello")
        edited = await core.handle_text(ann, '/persona edit tale prompt="voice-two"')
        assert not edited.error, edited.text
        for w in (ann, ben):
            prompt = await system_prompt(w, "again")
            assert "voice-two" in prompt and "voice-one" not in prompt
        # Unshared: ben falls back to the default at once, never keeps the old persona.
        assert not (await core.handle_text(ann, "/persona edit tale public=no")).error
        assert "voice-two" not in await system_prompt(ben, "still there?")
        assert "voice-two" in await system_prompt(ann, "and you?")
        # Deleted and replaced: the new persona (maybe under the old id) is the one used.
        token = await core.handle_text(ann, "/persona delete tale")
        if token.confirm is not None:
            assert not (await core.confirm(token.confirm.token, ann, True)).error
        made = await core.handle_text(ann, '/persona create fable prompt="voice-three"')
        assert not made.error, made.text
        assert not (await core.handle_text(ann, "/persona switch fable")).error
        prompt = await system_prompt(ann, "who are you now?")
        assert "voice-three" in prompt and "voice-two" not in prompt
    finally:
        await core.close()
