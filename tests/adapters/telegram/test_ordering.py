"""Telegram: a burst from many users keeps each user's order, to the model and back."""

from __future__ import annotations

from tests.adapters.telegram.conftest import Harness
from tests.support.bursts import EACH, USERS, delivered_order, model_order
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import message, user


async def test_telegram_bursts_keep_each_users_order(tg: Harness, fake_llm: FakeOpenAI) -> None:
    fake_llm.server.jitter_s = 0.05
    people = [user(5000 + i, f"U{i}") for i in range(USERS)]
    last = 0
    for n in range(EACH):  # interleaved: every user's n-th message, then the (n+1)-th
        for i, person in enumerate(people):
            last = tg.api.push(message(person, f"u{i} m{n}"))
    await tg.api.fetched(last, timeout=60)
    await tg.settle()
    want = {i: list(range(EACH)) for i in range(USERS)}
    assert model_order(fake_llm) == want
    shown = [
        (int(c.params["chat_id"]), c.text)
        for c in tg.api.calls
        if c.method in ("sendMessage", "editMessageText") and c.text
    ]
    assert delivered_order(shown) == want
