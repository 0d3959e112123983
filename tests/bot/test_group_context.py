"""Channel context through the core: a line taken back is gone from everyone's next prompt at
once (the in-process copy of a channel's lines never outlives the row), and a chain reply's
lines stay out of the owner's long-term memory when they heard others."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from bot.core import Core
from bot.messages import Incoming, Who
from storage.models import Turn
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI


def here(user: str) -> Who:
    return replace(who(user, "guild", "group"), channel_ref="general")


def prompt_text(fake_llm: FakeOpenAI) -> str:
    return " ".join(m["content"] for m in fake_llm.chat_requests[-1]["messages"])


async def test_an_undone_line_leaves_the_channel_context_at_once(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    await core.chat(Incoming(here("ann"), "my door code is 7731, oops"))
    await core.chat(Incoming(here("ben"), "morning all"))
    assert "Ann: my door code is 7731, oops" in prompt_text(fake_llm)
    undone = await core.handle_text(here("ann"), "/undo")
    assert not undone.error, undone.text
    await core.chat(Incoming(here("ben"), "what was that?"))
    assert "7731" not in prompt_text(fake_llm)
    assert "Ben: morning all" not in prompt_text(fake_llm)  # his own, in his history instead


async def test_replies_that_heard_others_are_marked_and_a_dm_is_never_a_line(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    await core.chat(Incoming(who("ann", "dm:ann", "dm"), "private words"))
    await core.chat(Incoming(here("ann"), "first in the channel"))
    await core.chat(Incoming(here("ben"), "second in the channel"))
    async with core.db.sessions() as s:
        rows = (
            await s.execute(
                select(Turn.content, Turn.heard_others).where(Turn.role == "assistant")
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("echo: private words", False),
        ("echo: first in the channel", False),  # nobody else had spoken yet
        ("echo: second in the channel", True),
    ]
    lines = await core.group.lines.recent(
        (await core.context(here("ann"))).space_id, "general", 50
    )
    assert [x.text for x in lines] == [
        "first in the channel",
        "echo: first in the channel",
        "second in the channel",
        "echo: second in the channel",
    ]


async def test_an_edited_message_and_its_new_reply_show_as_they_are_now(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    await core.chat(Incoming(here("ann"), "meet at 5"))
    await core.chat(Incoming(here("ben"), "ok"))
    assert "Ann: meet at 5" in prompt_text(fake_llm)
    edited = await core.edited(Incoming(here("ann"), "meet at 6"))
    assert not edited.error, edited.text
    await core.chat(Incoming(here("ben"), "see you"))
    heard = prompt_text(fake_llm)
    assert "Ann: meet at 6" in heard and "Assistant (you): echo: meet at 6" in heard
    assert "meet at 5" not in heard


async def test_a_regenerated_reply_hears_the_channel_but_not_the_reply_it_replaces(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    await core.chat(Incoming(here("ben"), "the bridge is closed today"))
    await core.chat(Incoming(here("ann"), "which way should I go?"))
    again = await core.handle_text(here("ann"), "/regen")
    assert not again.error, again.text
    heard = prompt_text(fake_llm)
    assert "Ben: the bridge is closed today" in heard
    assert "echo: which way should I go?" not in heard  # the reply being redone
