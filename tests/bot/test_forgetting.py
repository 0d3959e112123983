"""Forgetting means forgetting: /memory forget, /memory wipe and /undo take the text out of
the next prompt — the verbatim recent history as well as long-term memory."""

from __future__ import annotations

from typing import Any

from tests.support.fake_openai import FakeOpenAI


def prompt_text(fake_llm: FakeOpenAI) -> str:
    """Everything the model was shown in the latest chat request."""
    return "\n".join(str(m["content"]) for m in fake_llm.chat_requests[-1]["messages"])


async def test_a_forgotten_memory_leaves_the_recent_history_too(
    user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await alice.say("My locker code is 4417")
    await alice.say("I like walking by the river")
    found = await alice.say("/memory search locker code")
    item_id = int(found.text.split("#")[1].split()[0])
    done = await alice.say(f"/memory forget {item_id}")
    assert "the message it came from and its reply" in done.text
    await alice.say("what is my locker code?")
    shown = prompt_text(fake_llm)
    assert "4417" not in shown  # neither the message, nor its echoed reply, nor a memory
    assert "walking by the river" in shown  # the rest of the conversation stays
    assert "4417" not in (await alice.say("/memory list")).text


async def test_undo_takes_back_the_last_exchange_here_and_nothing_else(
    user: Any, fake_llm: FakeOpenAI
) -> None:
    alice, bob = user("alice"), user("bob")
    await alice.say("the first thing")
    await bob.say("bob's own secret plan")
    await alice.say("my secret plan is to leave on Friday")
    undone = await alice.say("/undo")
    assert not undone.error and "my secret plan is to leave on Friday" in undone.text
    await alice.say("what was my plan?")
    shown = prompt_text(fake_llm)
    assert "leave on Friday" not in shown and "the first thing" in shown
    assert "leave on Friday" not in (await alice.say("/memory search secret plan")).text
    assert "bob's own secret plan" in (await bob.say("/memory search secret plan")).text
    for _ in range(2):  # "what was my plan?", then "the first thing"
        assert not (await alice.say("/undo")).error
    nothing = await alice.say("/undo")
    assert nothing.error and "nothing to undo" in nothing.text
    await bob.say("still here?")
    assert "bob's own secret plan" in prompt_text(fake_llm)


async def test_a_wiped_conversation_is_not_in_the_next_prompt(
    user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await alice.say("my cat is called Biscuit")
    assert (await alice.say("/memory wipe")).confirm is not None
    assert "Deleted 2 messages" in (await alice.answer(True)).text
    await alice.say("what is my cat called?")
    assert "Biscuit" not in prompt_text(fake_llm)
