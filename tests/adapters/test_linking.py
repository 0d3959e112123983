"""One person on both loopback platforms: a code shown by a Discord slash command, entered and
confirmed with a button on Telegram, and from then on the Telegram prompt recalls what was
said on Discord."""

from __future__ import annotations

import re

from tests.adapters.discord.conftest import ALICE as DISCORD_ALICE
from tests.adapters.discord.conftest import Harness as DiscordHarness
from tests.adapters.discord.conftest import dc, discord_api  # noqa: F401  (fixtures)
from tests.adapters.discord.test_slash import EPHEMERAL, MENTION, callback
from tests.adapters.telegram.conftest import ALICE as TELEGRAM_ALICE
from tests.adapters.telegram.conftest import Harness as TelegramHarness
from tests.adapters.telegram.conftest import tg  # noqa: F401  (fixture)
from tests.adapters.telegram.test_telegram import bot_msg, buttons, sent
from tests.support.fake_discord import BOT_USER
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import message, press


def _prompt(fake_llm: FakeOpenAI) -> str:
    return "\n".join(m["content"] for m in fake_llm.chat_requests[-1]["messages"])


async def test_linked_accounts_share_memory_across_platforms(
    dc: DiscordHarness,  # noqa: F811
    tg: TelegramHarness,  # noqa: F811
    fake_llm: FakeOpenAI,
) -> None:
    await dc.message(DISCORD_ALICE, f"{MENTION} my cat is called Pixel", mentions=(BOT_USER,))
    await tg.send(message(TELEGRAM_ALICE, "what is my cat called?"))
    assert "Pixel" not in _prompt(fake_llm)  # two strangers, before linking

    shown = callback(await dc.slash(DISCORD_ALICE, ("me", "link")))
    assert shown["data"]["flags"] & EPHEMERAL
    code = re.search(r"Your link code: (\S+)", shown["data"]["content"]).group(1)  # type: ignore[union-attr]
    (question,) = sent(await tg.send(message(TELEGRAM_ALICE, f"/me link {code}")))
    assert "Link this telegram account with discord account" in question.text
    yes = next(b["callback_data"] for b in buttons(question) if b["text"] == "Yes")
    calls = await tg.send(press(TELEGRAM_ALICE, yes, bot_msg(question)))
    (done,) = [c for c in calls if c.method == "editMessageText"]
    assert done.text.startswith("Linked: this account and discord account")

    await tg.send(message(TELEGRAM_ALICE, "what is my cat called, again?"))
    assert "Pixel" in _prompt(fake_llm)  # one person: the Discord memory is recalled here
