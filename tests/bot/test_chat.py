"""Chat turns through the core against the loopback model server."""

from __future__ import annotations

from typing import Any

from bot.core import Core
from storage.keys import OwnerKey
from tests.support.fake_openai import FakeOpenAI


async def test_turn_is_answered_and_stored(core: Core, user: Any, fake_llm: FakeOpenAI) -> None:
    alice = user("alice")
    reply = await alice.say("hello there")
    assert reply.text == "echo: hello there"
    assert reply.persona is not None and reply.persona.name == "assistant"
    assert "".join(alice.chunks) == "echo: hello there"  # streamed chunk by chunk
    assert len(alice.chunks) == 3
    body = fake_llm.requests[-1]
    assert body["model"] == "test-model" and body["stream"] is True
    assert body["messages"][0]["role"] == "system"
    assert "You are Assistant" in body["messages"][0]["content"]
    assert body["messages"][-2] == {"role": "user", "content": "hello there"}


async def test_usage_from_the_response_is_recorded(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice", stream=False)
    await alice.say("count my tokens")
    assert fake_llm.requests[-1].get("stream") in (None, False)
    ctx = await core.context(alice.who)
    persona = await core.personas.active(ctx)
    turns = await core.turns.recent(OwnerKey(ctx.user_id, persona.id), 10)
    assert [t.role for t in turns] == ["user", "assistant"]
    assert turns[1].completion_tokens == 4  # "echo: count my tokens" is 4 words
    assert turns[1].prompt_tokens > 10
    usage = await core.usage.by_persona(ctx.user_id)
    assert usage[0].persona_name == "assistant" and usage[0].completion_tokens == 4


async def test_history_goes_into_the_next_prompt(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await alice.say("my cat is called Miso")
    await alice.say("what is my cat called?")
    messages = fake_llm.requests[-1]["messages"]
    contents = [m["content"] for m in messages]
    assert "my cat is called Miso" in contents
    assert "echo: my cat is called Miso" in contents
    assert contents.index("my cat is called Miso") < contents.index("what is my cat called?")


async def test_recent_turn_limit_and_char_budget(tmp_path: Any, fake_llm: FakeOpenAI) -> None:
    from bot.app import build_core
    from tests.conftest import make_settings, who

    settings = make_settings(
        tmp_path,
        fake_llm.base_url,
        limits={"recent_turns": 4, "history_chars": 10_000},
        memory={"summaries": False},  # no summary: exactly the window, nothing held for one
    )
    core = build_core(settings)
    await core.start()
    try:
        for i in range(6):
            await core.handle_text(who("carol"), f"message {i}")
        sent = [
            m["content"] for m in fake_llm.requests[-1]["messages"][1:-1]
        ]  # minus post-history
        # 4 earlier turns (2 exchanges) plus the new message.
        assert sent == [
            "message 3",
            "echo: message 3",
            "message 4",
            "echo: message 4",
            "message 5",
        ]
    finally:
        await core.close()


async def test_empty_and_overlong_messages_are_refused(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    reply = await alice.say("x" * 5000)
    assert reply.error and "limit 4000" in reply.text
    assert fake_llm.requests == []
    ctx = await core.context(alice.who)
    persona = await core.personas.active(ctx)
    assert await core.turns.count(OwnerKey(ctx.user_id, persona.id)) == 0


async def test_space_override_beats_persona_and_config(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await alice.say('/persona create nova prompt="You are Nova." temperature=1.5')
    await alice.say("hi")
    assert fake_llm.requests[-1]["temperature"] == 1.5
    await alice.say("/model temperature 0.2")
    await alice.say("/model set openai/other-model")
    await alice.say("hi again")
    assert fake_llm.requests[-1]["temperature"] == 0.2
    assert fake_llm.requests[-1]["model"] == "other-model"
    shown = await alice.say("/model show")
    assert "openai/other-model (from space)" in shown.text
    await alice.say("/model reset")
    await alice.say("and again")
    assert fake_llm.requests[-1]["model"] == "test-model"
    assert fake_llm.requests[-1]["temperature"] == 1.5


async def test_persona_prompt_has_traits_style_domains_and_post_history(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await alice.say(
        '/persona create luna prompt="You are Luna, a moon spirit." traits="openness:90 humor:70" '
        'style="dreamy and brief" domains="astronomy, folklore" post="Stay in character."'
    )
    await alice.say("tell me about the moon")
    messages = fake_llm.requests[-1]["messages"]
    system = messages[0]["content"]
    assert "You are Luna, a moon spirit." in system
    assert "curious and imaginative" in system and "humor 70/100" in system
    assert "dreamy and brief" in system and "astronomy, folklore" in system
    assert messages[-1] == {"role": "system", "content": "Stay in character."}
