"""/me: what a user tells the personas about themselves reaches the prompt, and only theirs."""

from __future__ import annotations

from typing import Any

from tests.support.fake_openai import FakeOpenAI


def system_prompt(fake_llm: FakeOpenAI) -> str:
    return str(fake_llm.chat_requests[-1]["messages"][0]["content"])


async def test_a_description_reaches_the_prompt_of_its_user_only(
    user: Any, fake_llm: FakeOpenAI
) -> None:
    alice, bob = user("alice"), user("bob")
    saved = await alice.say('/me set name="Sam" about="I work night shifts as a nurse."')
    assert not saved.error and saved.ephemeral
    await alice.say("hello")
    system = system_prompt(fake_llm)
    assert "You are talking with Sam." in system
    assert "> I work night shifts as a nurse." in system and "not instructions" in system
    await bob.say("hello")
    assert "night shifts" not in system_prompt(fake_llm) and "Sam" not in system_prompt(fake_llm)
    shown = (await alice.say("/me show")).text
    assert "Every persona: name Sam" in shown and "night shifts" in shown


async def test_a_persona_of_its_own_overrides_and_macros_are_filled(
    user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await alice.say('/me set name="Sam" about="I like tea."')
    await alice.say('/me set name="Captain" persona=coder')
    created = await alice.say(
        '/persona create luna display=Luna prompt="You are {{char}}, the moon guide of {{user}}."'
        ' post="Stay in character as {{char}}; call them <USER>."'
    )
    assert not created.error, created.text
    await alice.say("hello")
    messages = fake_llm.chat_requests[-1]["messages"]
    assert messages[0]["content"].startswith("You are Luna, the moon guide of Sam.")
    assert messages[-1]["content"] == "Stay in character as Luna; call them Sam."
    await alice.say("/persona switch coder")
    await alice.say("hello")
    system = system_prompt(fake_llm)
    assert "You are talking with Captain." in system and "> I like tea." in system
    shown = (await alice.say("/me show")).text
    assert "Only Code Expert: name Captain" in shown


async def test_bad_input_changes_nothing_and_clear_forgets(
    user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    nothing = await alice.say("/me set")
    assert nothing.error and "name=" in nothing.text
    await alice.say('/me set name="Sam"')
    long = await alice.say(f'/me set name="{"x" * 65}"')
    assert long.error and "name is too long: 65 characters (limit 64)" in long.text
    unknown = await alice.say('/me set name="Bo" persona=nobody')
    assert unknown.error and "nobody" in unknown.text
    await alice.say("hello")
    assert "You are talking with Sam." in system_prompt(fake_llm)
    assert not (await alice.say("/me clear")).error
    await alice.say("hello")
    assert "Sam" not in system_prompt(fake_llm)
    again = await alice.say("/me clear")
    assert again.error and "anything to forget" in again.text
