"""Several chats per persona: transcripts apart, memory shared, the chat chosen per space; and
the rolling summary that carries a chat past its recent window."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from adapters.collecting import CollectingAdapter
from bot.app import build_core
from bot.core import Core
from bot.memory.extractive import Said, summarise
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI
from tests.support.prompts import history, is_summary, small_window, system, turn_prompt


async def test_chats_keep_transcripts_apart_and_share_memory(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await alice.say("my cat is called Miso")
    made = await alice.say("/chat new trip planning")
    assert not made.error and "trip planning" in made.text and "chat 2" in made.text
    await alice.say("where should we go in June?")
    seen = fake_llm.chat_requests[-1]
    assert not any("Miso" in t for t in history(seen))  # the other chat's transcript stays there
    assert "Miso" in system(seen)  # … and what the persona remembers comes along
    listed = (await alice.say("/chat list")).text
    assert "1. “my cat is called Miso” — 2 messages" in listed
    assert "▶ 2. trip planning — 2 messages" in listed
    back = await alice.say("/chat switch 1")
    assert "Now in chat 1" in back.text and "Miso" in back.text
    await alice.say("what is my cat called?")
    said = history(fake_llm.chat_requests[-1])
    assert "my cat is called Miso" in said and "where should we go in June?" not in said
    again = await alice.say("/chat switch trip")  # by the start of its title
    assert "Now in chat 2, trip planning" in again.text


async def test_the_active_chat_is_per_space_and_per_persona(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    dm = user("alice", "dm-alice", "dm", platform="telegram")
    group = user("alice", "group-1", "group", platform="telegram")
    await dm.say("/chat new secrets")
    await dm.say("the vault code is 9931")
    await group.say("hello everyone")
    assert "▶ 1." in (await group.say("/chat list")).text  # the group kept the first chat
    assert "▶ 2. secrets" in (await dm.say("/chat list")).text
    assert not (await dm.say('/persona create luna prompt="You are Luna."')).error
    assert "Luna" in (await dm.say("/persona switch luna")).text
    luna = (await dm.say("/chat list")).text
    assert "secrets" not in luna  # chats belong to one (user, persona)
    await dm.say("/persona switch assistant")
    assert "▶ 2. secrets" in (await dm.say("/chat list")).text
    await dm.say("/chat new")
    await dm.say("dear diary, my boss is awful")
    assert "3. “dear diary" in (await dm.say("/chat list")).text
    in_group = (await group.say("/chat list")).text  # a group is told nothing said in a DM
    assert "diary" not in in_group and "3. (empty) — 0 messages" in in_group
    assert "2. secrets — 0 messages" in in_group


async def test_rename_delete_and_bad_input(core: Core, user: Any, fake_llm: FakeOpenAI) -> None:
    alice = user("alice")
    await alice.say("first chat message")
    await alice.say("/chat new")
    await alice.say("second chat message")
    renamed = await alice.say("/chat rename Plans for the weekend")
    assert renamed.text == "Chat 2 is now “Plans for the weekend”."
    missing = await alice.say("/chat switch 7")
    assert missing.error and missing.text == "there is no chat 7: you have 2 (/chat list)"
    assert "no chat is called 'holiday'" in (await alice.say("/chat switch holiday")).text
    too_long = await alice.say("/chat rename " + "x" * 81)
    assert too_long.error and "limit 80" in too_long.text
    asked = await alice.say("/chat delete plans")
    assert asked.confirm is not None and "2 messages" in asked.text
    done = await alice.answer(True)
    assert "Deleted chat 2, Plans for the weekend: 2 messages" in done.text
    assert "You are now in “first chat message”" in done.text
    await alice.say("and now?")
    said = history(fake_llm.chat_requests[-1])
    assert "first chat message" in said and "second chat message" not in said
    only = await alice.say("/chat delete 1")
    assert only.error and "only chat" in only.text
    export = await alice.say("/memory export")
    assert "second chat message" not in export.attachments[0].data.decode()


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeOpenAI) -> Any:
    return small_window(tmp_path, fake_llm)


async def _chat(core: Core, alice: Any, *lines: str) -> None:
    for line in lines:
        await alice.say(line)
        await core.summaries.wait()


async def test_a_long_chat_is_summarised_into_the_prompt(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await _chat(core, alice, "I adopted a greyhound named Pilot", "chat 2", "chat 3")
    # The third message's prompt still holds the first word for word; after it, the first
    # exchange has left the window of four turns and is summarised.
    assert "Summary of your conversation" not in system(turn_prompt(fake_llm))
    summary_calls = [r for r in fake_llm.chat_requests if is_summary(r)]
    assert len(summary_calls) == 1 and "Pilot" in summary_calls[0]["messages"][1]["content"]
    await alice.say("what is my dog's name?")
    prompt = turn_prompt(fake_llm)
    assert not any("Pilot" in t for t in history(prompt))  # out of the window …
    told = system(prompt)
    assert "Summary of your conversation with Alice" in told and "Pilot" in told
    assert "Earlier in the conversation" not in told  # its recall copy is not shown twice
    shown = await alice.say("/chat summary")
    assert "Pilot" in shown.text and "earlier messages of this chat" in shown.text
    assert (await alice.say("/memory list summary")).text.count("#") == 1


async def test_forgetting_a_summarised_message_takes_it_out_of_the_summary(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    await _chat(core, alice, "my pin is 4471", "chat 2", "chat 3", "chat 4")
    assert "4471" in (await alice.say("/chat summary")).text
    assert core.memory is not None
    owner_items = (await alice.say("/memory search my pin is 4471")).text
    item = owner_items.split("#", 1)[1].split(" ", 1)[0]
    forgotten = await alice.say(f"/memory forget {item}")
    assert not forgotten.error, forgotten.text
    await _chat(core, alice, "chat 5")
    assert "4471" not in system(turn_prompt(fake_llm))
    assert "4471" not in (await alice.say("/chat summary")).text


async def test_a_group_summary_holds_only_that_group(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    """The loopback model copies everything it reads into the summary: a DM secret must not
    reach the summary a group's prompt carries."""
    dm = user("alice", "dm-alice", "dm", platform="telegram")
    group = user("alice", "group-1", "group", platform="telegram")
    await _chat(core, dm, "my salary is 91000", "dm 2")
    await _chat(core, group, "group 1", "group 2", "group 3", "group 4", "group 5")
    group_prompt = turn_prompt(fake_llm)
    assert "Summary of your conversation" in system(group_prompt)
    assert all("91000" not in str(m["content"]) for m in group_prompt["messages"])
    await _chat(core, dm, "dm 3", "dm 4")  # the DM's summary (of every turn) catches up
    told = system(turn_prompt(fake_llm))
    summary = told.split("Summary of your conversation", 1)[1].split("What you remember")[0]
    assert "91000" in summary and "group 1" in summary


async def test_the_bundled_model_gets_an_extractive_summary(tmp_path: Path) -> None:
    """No model call at all: with the embedded model the summary is extractive."""
    with FakeOpenAI() as fake:
        settings = small_window(tmp_path, fake, extraction_model="embedded/smollm2-135m")
        core = build_core(settings)
        await core.start()
        try:
            alice = CollectingAdapter(core, who("alice"))
            await _chat(core, alice, "I moved to Lisbon on 3 March", "ok", "haha yes", "cool")
            summary = (await alice.say("/chat summary")).text
            assert "Alice: I moved to Lisbon on 3 March" in summary
            assert "haha" not in summary
            assert not any(is_summary(r) for r in fake.chat_requests)
        finally:
            await core.close()


def test_the_extractive_summary_keeps_what_matters_within_its_budget() -> None:
    day = datetime(2026, 12, 1)
    said = [
        Said(day, "Alice", "hi! how are you?", True),
        Said(day, "Luna", "I'm fine, thanks. What's new?", False),
        Said(day, "Alice", "My sister Ana gets married on 14 May in Porto.", True),
        Said(day, "Luna", "Oh lovely!", False),
        Said(day, "Alice", "lol yeah", True),
        Said(day, "Alice", "I need a gift for Ana, something for the kitchen.", True),
    ]
    text = summarise("", said, 400, "Alice")
    assert text.splitlines() == [
        "- 2026-12-01 Alice: My sister Ana gets married on 14 May in Porto.",
        "- 2026-12-01 Alice: I need a gift for Ana, something for the kitchen.",
    ]
    later = [Said(datetime(2026, 12, 2), "Alice", "Ana picked a blue kettle from Porto.", True)]
    rolled = summarise(text, later, 400, "Alice")
    assert rolled.splitlines()[0].startswith("- 2026-12-01 Alice: My sister Ana")
    assert rolled.splitlines()[-1] == "- 2026-12-02 Alice: Ana picked a blue kettle from Porto."
    tight = summarise(rolled, [], 80, "Alice")
    assert len(tight) <= 80 and tight.count("\n") == 0
    assert summarise(text, [], 400, "Alice") == text  # the same input, the same summary
