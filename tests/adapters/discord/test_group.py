"""Group chat on Discord through the real discord.py client: the persona hears what everyone
said in the channel lately (never a DM), and a reply brings its chain of messages along."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.messages import Who
from tests.adapters.discord.conftest import ALICE, BOB, Harness
from tests.adapters.discord.test_slash import MENTION
from tests.conftest import make_settings
from tests.support import discord_gateway as gw
from tests.support.fake_discord import BOT_USER
from tests.support.fake_openai import FakeOpenAI


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeOpenAI, request: pytest.FixtureRequest) -> Settings:
    extra = getattr(request, "param", {})  # parametrized with indirect=["settings"]
    return make_settings(tmp_path / "data", fake_llm.base_url, group={"reply_depth": 3}, **extra)


CHANNEL = "Recent messages in this channel"
THREAD = "is replying to this thread of messages"


def block(request: dict[str, Any], start: str) -> str:
    """The part of a prompt's system messages that holds `start` ("" if none)."""
    found = [m["content"] for m in request["messages"] if m["role"] == "system"]
    parts = [part for text in found for part in text.split("\n\n")]
    return next((part for part in parts if start in part), "")


def last_post(dc: Harness) -> dict[str, Any]:
    """The newest persona message, as a later reply's `referenced_message` carries it."""
    call = dc.api.find("POST", r"^webhooks/\d+/[^/]+$")[-1]
    return {**call.response, "channel_id": str(gw.CHANNEL_ID)}


async def test_the_prompt_carries_what_others_said_here_in_order(
    dc: Harness, fake_llm: FakeOpenAI
) -> None:
    await dc.message(ALICE, f"{MENTION} I just got back from sailing", mentions=(BOT_USER,))
    await dc.message(BOB, f"{MENTION} where was Alice?", mentions=(BOT_USER,))
    heard = block(fake_llm.chat_requests[-1], CHANNEL)
    lines = heard.splitlines()[1:]
    assert lines == [
        "Alice: I just got back from sailing",
        "Assistant (you): echo: I just got back from sailing",
    ]
    said = [m["content"] for m in fake_llm.chat_requests[-1]["messages"]]
    assert said[said.index("where was Alice?") - 1] == heard  # just before the new message
    await dc.message(ALICE, f"{MENTION} and tomorrow?", mentions=(BOT_USER,))
    lines = block(fake_llm.chat_requests[-1], CHANNEL).splitlines()[1:]
    # Alice's own exchange is in her history already; Bob's is news to her prompt.
    assert lines == ["Bob: where was Alice?", "Assistant (you): echo: where was Alice?"]


async def test_a_dm_never_reaches_a_channel_prompt(dc: Harness, fake_llm: FakeOpenAI) -> None:
    await dc.message(ALICE, "my locker code is 4417", channel=None, dm_channel=555000000000000001)
    assert "4417" in " ".join(m["content"] for m in fake_llm.chat_requests[-1]["messages"])
    await dc.message(ALICE, f"{MENTION} hi all", mentions=(BOT_USER,))
    await dc.message(BOB, f"{MENTION} what is Alice's code?", mentions=(BOT_USER,))
    for request in fake_llm.chat_requests[-2:]:
        assert "4417" not in " ".join(m["content"] for m in request["messages"])
    assert "Alice: hi all" in block(fake_llm.chat_requests[-1], CHANNEL)


@pytest.mark.parametrize("settings", [{"limits": {"channel_turns": 4}}], indirect=True)
async def test_a_reply_brings_its_chain_to_the_configured_depth(
    dc: Harness, fake_llm: FakeOpenAI
) -> None:
    await dc.message(ALICE, f"{MENTION} first question", mentions=(BOT_USER,))
    first_answer = last_post(dc)
    await dc.message(ALICE, "second question", reply_to=first_answer)
    second_answer = last_post(dc)
    for i in range(6):  # the channel moves on: the chain is older than the 4 recent lines
        await dc.message(ALICE, f"{MENTION} filler {i}", mentions=(BOT_USER,))
    await dc.message(BOB, "what about that?", reply_to=second_answer)
    chain = block(fake_llm.chat_requests[-1], THREAD)
    assert chain.splitlines() == [
        f"Bob {THREAD}, oldest first:",
        "Assistant (you): echo: first question",
        "Alice: second question",
        "Assistant (you): echo: second question",
    ]
    assert "Alice: first question" not in chain  # four up: past the depth of three


ALICE_WHO = Who("discord", ALICE["id"], "Alice", str(gw.GUILD_ID), "group")


async def _scene(dc: Harness) -> None:
    for name, about in (
        ("alpha", "astronomy, telescopes, stars"),
        ("beta", "cooking, recipes, pasta"),
        ("gamma", "football, matches, goals"),
    ):
        line = f'/persona create {name} prompt="{name}." domains="{about}" public=yes'
        assert not (await dc.core.handle_text(ALICE_WHO, line)).error
    calls = await dc.slash(ALICE, ("scene", "start"), personas="alpha beta gamma")
    assert "Scene started with Alpha, Beta, Gamma" in str(calls[-1].body)


def posted_names(dc: Harness, since: int) -> list[str]:
    """The names persona posts since `since` were shown with (their webhook usernames)."""
    return [s.username for s in dc.api.shown[since:]]


def scene(mode: str, chain: int) -> dict[str, Any]:
    return {"scene": {"mode": mode, "max_chain": chain}}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (scene("round_robin", 0), ["Alpha", "Beta", "Gamma"]),
        (scene("natural", 0), ["Beta", "Gamma", "Alpha"]),
        (scene("all", 0), ["Alpha", "Beta", "Gamma"] * 3),
    ],
    indirect=["settings"],
    ids=["round_robin", "natural", "all"],
)
async def test_a_three_persona_scene_posts_each_as_itself(
    dc: Harness, expected: list[str]
) -> None:
    await _scene(dc)
    before, calls = len(dc.api.shown), len(dc.api.calls)
    for text in ("a pasta recipe please", "who scored the goals?", "which stars tonight?"):
        await dc.message(BOB, text)  # no mention needed: the channel has a scene
    assert posted_names(dc, before) == expected
    assert all(s.avatar_url is None for s in dc.api.shown[before:])
    posts = dc.api.find("POST", r"^webhooks/\d+/[^/]+$")
    assert all(
        c.body["allowed_mentions"]["parse"] == [] for c in posts if c in dc.api.calls[calls:]
    )


@pytest.mark.parametrize("settings", [scene("round_robin", 3)], indirect=True)
async def test_the_chain_limit_stops_personas_talking_in_a_loop(dc: Harness) -> None:
    await _scene(dc)
    before = len(dc.api.shown)
    await dc.message(BOB, "Alpha, ask Beta about it")  # every echo names both again
    assert posted_names(dc, before) == ["Alpha", "Beta", "Alpha", "Beta", "Alpha"]


@pytest.mark.parametrize(
    ("settings", "answered"),
    [({}, False), ({"scene": {"allow_bots": True, "max_chain": 0}}, True)],
    indirect=["settings"],
    ids=["bots ignored", "allow_bots"],
)
async def test_other_bots_take_part_in_a_scene_only_when_allowed(
    dc: Harness, answered: bool
) -> None:
    await _scene(dc)
    other_bot = {**BOB, "id": "100000000000000099", "bot": True}
    before = len(dc.api.shown)
    await dc.message(other_bot, "Beta, a recipe?")
    assert posted_names(dc, before) == (["Beta"] if answered else [])
    dc.dispatch("MESSAGE_CREATE", gw.bot_message("Gamma, your turn", webhook=True))
    await dc.settle()
    assert len(dc.api.shown) == before + (1 if answered else 0)  # our webhook: never a turn
