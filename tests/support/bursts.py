"""Bursts: each user's messages reach the model, and their answers reach the platform, in the
order the user sent them, with a model whose answers take uneven time."""

from __future__ import annotations

import re

from tests.support.fake_openai import FakeOpenAI

USERS = 12
EACH = 8
SAID = re.compile(r"u(\d+) m(\d+)\b")


def model_order(fake: FakeOpenAI) -> dict[int, list[int]]:
    """Per user, the message numbers in the order the model was asked about them."""
    seen: dict[int, list[int]] = {}
    for request in fake.chat_requests:
        asked = [m for m in request["messages"] if m["role"] == "user"][-1]
        found = SAID.search(str(asked["content"]))
        if found:
            seen.setdefault(int(found[1]), []).append(int(found[2]))
    return seen


def delivered_order(texts: list[tuple[int, str]]) -> dict[int, list[int]]:
    """Per user, the message numbers in the order their answers were first shown."""
    seen: dict[int, list[int]] = {}
    for _, text in texts:
        found = SAID.search(text)
        if found and int(found[2]) not in seen.get(int(found[1]), []):
            seen.setdefault(int(found[1]), []).append(int(found[2]))
    return seen
