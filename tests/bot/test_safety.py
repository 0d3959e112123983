"""The safety note: off by default; on, a crisis phrase adds the resources message under the
reply and flags the turn, and nothing else does."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import Core
from storage.models import Turn
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI

ALICE = who("alice")


async def _flags(core: Core) -> dict[str, str]:
    async with core.db.sessions() as s:
        rows = await s.execute(select(Turn.content, Turn.flags).where(Turn.role == "user"))
        return {content: flags for content, flags in rows.all()}


ON = {"safety": {"enabled": True}}


@pytest.mark.parametrize("settings", [ON], indirect=True)
async def test_a_crisis_phrase_adds_the_resources_and_flags_the_turn(core: Core) -> None:
    message = core.settings.safety.message
    reply = await core.handle_text(ALICE, "some days I just WANT   to die, honestly")
    assert reply.text.endswith("\n\n" + message) and "echo:" in reply.text
    calm = await core.handle_text(ALICE, "I died laughing at that film")  # no phrase in it
    assert message not in calm.text
    assert await _flags(core) == {
        "some days I just WANT   to die, honestly": "safety",
        "I died laughing at that film": "",
    }


@pytest.mark.parametrize(
    "settings",
    [{"safety": {"enabled": True, "phrases": ["lost everything"], "message": "Call Ana."}}],
    indirect=True,
)
async def test_phrases_and_message_come_from_config(core: Core) -> None:
    assert (await core.handle_text(ALICE, "I lost everything today")).text.endswith("Call Ana.")
    assert "Call Ana." not in (await core.handle_text(ALICE, "I want to die")).text


async def test_it_is_off_by_default(core: Core) -> None:
    reply = await core.handle_text(ALICE, "I want to die")
    assert core.settings.safety.message not in reply.text
    assert await _flags(core) == {"I want to die": ""}


@pytest.mark.parametrize("settings", [ON], indirect=True)
async def test_a_failed_reply_still_carries_the_resources(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    fake_llm.fail_next("500", "500", "500", "500")
    reply = await core.handle_text(ALICE, "I keep thinking about suicide")
    assert reply.error and reply.text.endswith(core.settings.safety.message)
