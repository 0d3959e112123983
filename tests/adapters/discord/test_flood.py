"""Rate limits: the loopback Discord answers 429 with retry_after, as Discord does, and no reply
is lost — discord.py waits and sends the refused request again."""

from __future__ import annotations

from tests.adapters.discord.conftest import ALICE, Harness
from tests.adapters.discord.test_chat import MENTION, sent, texts
from tests.support.fake_discord import BOT_USER


async def test_a_reply_refused_with_429_is_sent_again_after_retry_after(dc: Harness) -> None:
    dc.api.flood["POST webhooks/*"] = [0.5]
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} hello through the rate limit", mentions=(BOT_USER,))
    calls = dc.api.calls[before:]
    posts = sent(calls)
    assert posts[0].response["retry_after"] == 0.5  # refused first
    assert posts[1].at - posts[0].at >= 0.5  # then sent again once the wait was over
    assert texts(calls) == ["echo: hello through the rate limit"]


async def test_a_command_answer_refused_with_429_is_sent_again(dc: Harness) -> None:
    dc.api.flood["POST interactions/*"] = [0.5]
    calls = await dc.slash(ALICE, ("persona", "list"))
    answers = [c for c in calls if c.path.startswith("interactions/")]
    assert len(answers) == 2 and answers[0].response["retry_after"] == 0.5
    assert "assistant" in answers[1].body["data"]["content"]
