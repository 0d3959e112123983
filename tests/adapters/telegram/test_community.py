"""Running it for a community on Telegram, through the real python-telegram-bot Application:
a blocked user gets no answer in the group, to messages or commands; the platform's list holds
in DMs too; a data export asked for in a group arrives in private."""

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


async def test_an_export_asked_in_the_group_arrives_in_private(tg: Harness) -> None:
    await tg.send(message(BOB, f"{AT} my plan is pineapple", chat_id=GROUP, mention=AT))
    calls = await tg.send(message(BOB, "/me export", chat_id=GROUP))
    document = [c for c in calls if c.method == "sendDocument"]
    assert len(document) == 1 and document[0].params["chat_id"] == str(BOB["id"])
    (text, note) = sent(calls)
    assert text.params["chat_id"] == str(BOB["id"]) and "Everything I hold about you" in text.text
    assert note.params["chat_id"] == str(GROUP)
    assert note.text == "I sent you the answer in a private chat."
