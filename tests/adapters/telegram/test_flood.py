"""Flood control: the loopback Bot API answers 429 with retry_after, as Telegram does, and no
reply is lost — the refused call is sent again after the wait (AIORateLimiter's retries)."""

from __future__ import annotations

from tests.adapters.telegram.conftest import ALICE, Harness
from tests.adapters.telegram.test_telegram import shown
from tests.support.fake_telegram import Call, message


def answered(calls: list[Call]) -> list[Call]:
    """The calls the Bot API carried out (not the ones it refused with 429)."""
    return [c for c in calls if c.result is not None]


async def test_a_reply_refused_by_flood_control_is_sent_again_after_retry_after(
    tg: Harness,
) -> None:
    tg.api.flood["sendMessage"] = [1]
    calls = await tg.send(message(ALICE, "hello through the flood"))
    sends = [c for c in calls if c.method == "sendMessage"]
    assert len(sends) >= 2  # the refused one, then the one that went through
    assert sends[1].at - sends[0].at >= 1.0  # it waited the retry_after Telegram named
    assert shown(answered(calls))[-1].endswith("echo: hello through the flood")


async def test_the_final_edit_of_a_streamed_reply_survives_flood_control(tg: Harness) -> None:
    tg.api.flood["editMessageText"] = [1, 1]
    calls = await tg.send(message(ALICE, "stream me through the flood"))
    assert shown(answered(calls))[-1].endswith("echo: stream me through the flood")
    assert not tg.api.flood["editMessageText"]  # both refusals were met, and retried


async def test_a_command_reply_survives_flood_control(tg: Harness) -> None:
    tg.api.flood["sendMessage"] = [1]
    calls = await tg.send(message(ALICE, "/persona list"))
    texts = [c.text for c in calls if c.method == "sendMessage"]
    assert len(texts) == 2 and texts[0] == texts[1] and "assistant" in texts[1]
