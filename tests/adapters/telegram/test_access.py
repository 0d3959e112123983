"""Access lists on Telegram through the real python-telegram-bot Application: a blocked user
gets no answer in the group, to messages or commands; the platform's list holds in DMs too."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from tests.adapters.telegram.conftest import ALICE, BOB, GROUP, Harness
from tests.adapters.telegram.test_telegram import sent
from tests.conftest import make_settings
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import message

AT = "@persona_bot"


@pytest.fixture
def settings(tmp_path: Path, fake_llm: FakeOpenAI) -> Settings:
    return make_settings(
        tmp_path / "data", fake_llm.base_url, admins={"telegram": [str(ALICE["id"])]}
    )


async def test_a_blocked_user_gets_no_answer_in_the_group(tg: Harness) -> None:
    tg.api.admins.add(ALICE["id"])
    calls = sent(
        await tg.send(message(ALICE, f"/access block {BOB['id']} kind=user", chat_id=GROUP))
    )
    assert calls[0].params["chat_id"] == str(ALICE["id"])  # private answer, by DM
    assert calls[0].text == f"Blocked user {BOB['id']}."
    assert sent(await tg.send(message(BOB, f"{AT} hi", chat_id=GROUP, mention=AT))) == []
    assert sent(await tg.send(message(BOB, "/persona list", chat_id=GROUP))) == []
    assert sent(await tg.send(message(BOB, "hi in private")))  # the group's list, not the DM's


async def test_the_global_list_silences_a_user_everywhere(tg: Harness) -> None:
    done = sent(await tg.send(message(ALICE, f"/access block {BOB['id']} global=yes")))
    assert done[0].text == f"Blocked user {BOB['id']}."
    assert sent(await tg.send(message(BOB, "hi in private"))) == []
    assert sent(await tg.send(message(BOB, f"{AT} hi", chat_id=GROUP, mention=AT))) == []
    sent(await tg.send(message(ALICE, f"/access remove {BOB['id']} global=yes")))
    assert sent(await tg.send(message(BOB, "hi in private")))
