"""Scenes through the core: who answers in each mode, a named persona answering, persona-to-
persona chains bounded by scene.max_chain, rights, and a scene that survives a restart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_core
from bot.core import Core
from bot.messages import Attachment, Incoming, Reply, Who
from storage.models import ChannelLine, Turn
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI

STAGE = "stage-1"


def at(user: str, *, admin: bool = False) -> Who:
    return replace(who(user, "guild", "group", admin=admin), channel_ref=STAGE)


async def scene_core(tmp_path: Path, fake_llm: FakeOpenAI, **scene: object) -> Core:
    settings = make_settings(tmp_path / "data", fake_llm.base_url, scene=scene)
    core = build_core(settings)
    await core.start()
    for name, about in (
        ("alpha", "astronomy, telescopes, stars"),
        ("beta", "cooking, recipes, pasta, baking"),
        ("gamma", "football, matches, goals"),
    ):
        line = f'/persona create {name} prompt="{name}." domains="{about}" public=yes'
        made = await core.handle_text(at("ann"), line)
        assert not made.error, made.text
    started = await core.handle_text(at("ann"), "/scene start alpha beta gamma")
    assert "Scene started with Alpha, Beta, Gamma" in started.text, started.text
    return core


async def everyone(core: Core, w: Who, text: str) -> list[Reply]:
    """A person's message and every persona turn it sets off, as an adapter runs them."""
    replies = [await core.chat(Incoming(w, text))]
    while replies[-1].next is not None:
        follow = await core.scene_next(w)
        assert follow is not None
        assert replies[-1].next.name == (follow.persona.name if follow.persona else "")
        replies.append(follow)
    return replies


def speakers(replies: list[Reply]) -> list[str]:
    return [r.persona.name for r in replies if r.persona is not None]


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("round_robin", [["alpha"], ["beta"], ["gamma"], ["alpha"]]),
        ("all", [["alpha", "beta", "gamma"]] * 4),
        # natural: the best fit for the words, whoever it is
        ("natural", [["beta"], ["gamma"], ["alpha"], ["beta"]]),
    ],
)
async def test_each_mode_chooses_speakers_in_order(
    tmp_path: Path, fake_llm: FakeOpenAI, mode: str, expected: list[list[str]]
) -> None:
    core = await scene_core(tmp_path, fake_llm, mode=mode)
    try:
        got = []
        for text in (
            "any good pasta recipes for baking tonight?",
            "did you see the football match and those goals?",
            "which stars can a small telescope show?",
            "my pasta keeps sticking while cooking",
        ):
            got.append(speakers(await everyone(core, at("bob"), text)))
        assert got == expected
    finally:
        await core.close()


async def test_a_named_persona_answers_and_each_answer_is_its_own_turn(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    # No chains here: the echoing model's lines name the personas again.
    core = await scene_core(tmp_path, fake_llm, mode="round_robin", max_chain=0)
    try:
        replies = await everyone(core, at("bob"), "Gamma, who won yesterday?")
        assert speakers(replies) == ["gamma"]
        replies = await everyone(core, at("bob"), "@beta and Alpha: your thoughts?")
        assert speakers(replies) == ["beta", "alpha"]
        async with core.db.sessions() as s:
            rows = (await s.execute(select(Turn.persona_id, Turn.role, Turn.content))).all()
            lines = (await s.scalars(select(ChannelLine.text))).all()
        asked = [r for r in rows if r.content == "@beta and Alpha: your thoughts?"]
        assert len(asked) == 2  # the message is part of both personas' conversations with bob
        assert lines.count("@beta and Alpha: your thoughts?") == 1  # said once in the channel
    finally:
        await core.close()


async def test_personas_answer_each_other_at_most_max_chain_times(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    core = await scene_core(tmp_path, fake_llm, mode="round_robin", max_chain=2)
    try:
        # The loopback model echoes what it is given, so every line names both again: the
        # chain would go on forever without the limit.
        replies = await everyone(core, at("bob"), "Alpha, what does Beta think?")
        assert speakers(replies) == ["alpha", "beta", "alpha", "beta"]
        chained = fake_llm.chat_requests[-2:]
        assert [m["content"] for m in chained[0]["messages"] if m["role"] == "user"] == [
            "Beta: echo: Alpha, what does Beta think?"
        ]
        assert core.scenes.next(await core.context(at("bob"))) is None
        usage = await core.handle_text(at("bob"), "/usage")
        # Every reply counts against bob, the chained ones too.
        assert "beta: 2 replies" in usage.text and "alpha: 2 replies" in usage.text
        again = await everyone(core, at("bob"), "thanks both")  # a person speaks: count resets
        assert len(again) == 1 and again[0].next is None
    finally:
        await core.close()


async def test_a_persona_answering_another_reads_its_own_documents(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    core = await scene_core(tmp_path, fake_llm, mode="round_robin", max_chain=1)
    try:
        notes = Attachment(
            "alpha.md", "text/markdown", b"# Pasta\n\nSalt the pasta water twice.\n"
        )
        added = await core.handle_text(
            at("ann"), "/knowledge add persona=alpha", attachments=(notes,)
        )
        assert "Added alpha.md" in added.text, added.text
        replies = await everyone(core, at("bob"), "Alpha, ask Beta about the pasta water")
        assert speakers(replies) == ["alpha", "beta", "alpha"]
        chained = fake_llm.chat_requests[-1]["messages"]  # Alpha, answering Beta's line
        asked = next(m["content"] for m in chained if m["role"] == "user")
        assert asked.startswith("Beta: ")
        assert "Salt the pasta water twice" in chained[0]["content"]
        assert "[alpha.md Pasta]" in chained[0]["content"]
    finally:
        await core.close()


async def test_only_the_starter_or_an_admin_changes_or_ends_it_and_it_survives_a_restart(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    core = await scene_core(tmp_path, fake_llm)
    try:
        for line in ("/scene end", "/scene remove beta", "/scene add assistant"):
            refused = await core.handle_text(at("bob"), line)
            assert refused.error and "starter or a server admin" in refused.text
        assert not (await core.handle_text(at("bob", admin=True), "/scene remove beta")).error
        dm = await core.handle_text(who("bob", "dm:bob", "dm"), "/scene start alpha")
        assert dm.error and "not private chats" in dm.text
        twice = await core.handle_text(at("ann"), "/scene start alpha")
        assert twice.error and "already has a scene" in twice.text
    finally:
        await core.close()
    core = build_core(make_settings(tmp_path / "data", fake_llm.base_url))
    await core.start()
    try:
        listed = await core.handle_text(at("bob"), "/scene list")
        assert "Scene here: Alpha, Gamma" in listed.text
        assert (await core.chat(Incoming(at("bob"), "hello"))).persona is not None
        assert not (await core.handle_text(at("ann"), "/scene end")).error
        assert (await core.handle_text(at("bob"), "/scene list")).error
    finally:
        await core.close()
