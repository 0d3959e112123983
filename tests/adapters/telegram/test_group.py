"""Group chat on Telegram through the real python-telegram-bot Application: in a group the
persona hears what others said to it there (never a DM), and a reply to an older message brings
that message's chain along."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from tests.adapters.discord.test_group import CHANNEL, THREAD, block
from tests.adapters.telegram.conftest import ALICE, BOB, GROUP, Harness
from tests.adapters.telegram.test_telegram import bot_msg, sent, shown
from tests.conftest import make_settings
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import message

AT = "@persona_bot"


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeOpenAI) -> Settings:
    return make_settings(
        tmp_path / "data",
        fake_llm.base_url,
        group={"reply_depth": 2},
        limits={"channel_turns": 4},
    )


def said(tg: Harness, sender: dict[str, Any], text: str, **kw: Any) -> dict[str, Any]:
    return message(sender, text, chat_id=GROUP, mention=AT if AT in text else None, **kw)


async def test_a_group_prompt_carries_the_others_in_order_and_no_dm(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    await tg.send(message(ALICE, "my pin is 9034"))  # a DM
    await tg.send(said(tg, ALICE, f"{AT} the match starts at eight"))
    await tg.send(said(tg, BOB, f"{AT} when does it start?"))
    request = fake_llm.chat_requests[-1]
    assert block(request, CHANNEL).splitlines()[1:] == [
        "Alice: the match starts at eight",
        "Assistant (you): echo: the match starts at eight",
    ]
    assert "9034" not in " ".join(m["content"] for m in request["messages"])


async def test_a_reply_to_an_older_message_brings_its_chain(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    (first,) = sent(await tg.send(said(tg, ALICE, f"{AT} pick a colour")))
    (second,) = sent(await tg.send(said(tg, ALICE, "blue or red?", reply_to=bot_msg(first))))
    for i in range(6):  # older than the 4 recent lines
        await tg.send(said(tg, BOB, f"{AT} filler {i}"))
    await tg.send(said(tg, BOB, "and why?", reply_to=bot_msg(second)))
    chain = block(fake_llm.chat_requests[-1], THREAD).splitlines()
    assert chain == [
        f"Bob {THREAD}, oldest first:",
        "Alice: blue or red?",
        "Assistant (you): echo: blue or red?",
    ]


async def test_a_scene_in_a_group_answers_in_turn_each_under_its_bold_name(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    for name, about in (("alpha", "stars"), ("beta", "pasta"), ("gamma", "football")):
        line = f'/persona create {name} prompt="{name}." domains="{about}" public=yes'
        await tg.send(said(tg, ALICE, line))
    started = sent(await tg.send(said(tg, ALICE, "/scene start alpha beta gamma")))
    assert "Scene started with Alpha, Beta, Gamma" in started[0].text
    calls = await tg.send(said(tg, BOB, "Gamma and Beta, hello!"))  # no mention needed
    finals = shown(calls)
    # The two it names, then (scene.max_chain = 2) two more: the echoing model names both.
    heads = [t.split("\n", 1)[0] for t in finals]
    assert heads == ["<b>Gamma</b>", "<b>Beta</b>", "<b>Gamma</b>", "<b>Beta</b>"]
    refused = sent(await tg.send(said(tg, BOB, "/scene end")))
    assert "starter or a server admin" in refused[0].text
    assert "The scene is over." in sent(await tg.send(said(tg, ALICE, "/scene end")))[0].text
    quiet = await tg.send(said(tg, BOB, "anyone there?"))  # no scene, no mention: not for us
    assert not sent(quiet)
