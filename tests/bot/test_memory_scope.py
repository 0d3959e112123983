"""What is said in a DM stays out of group prompts, unless the user opts in."""

from __future__ import annotations

from pathlib import Path

from bot.app import build_core
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI

SECRET = "my bank pin is 4417 and my nickname is moonpie"


async def test_a_dm_secret_never_reaches_a_group_prompt(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    core = build_core(make_settings(tmp_path, fake_llm.base_url))
    await core.start()
    try:
        dm, group = who("alice", "dm-alice", "dm"), who("alice", "guild-1", "group")
        other_group = who("alice", "guild-2", "group")
        assert not (await core.handle_text(dm, SECRET)).error
        await core.handle_text(other_group, "in the other server I said my cat is pixel")

        def last_prompt() -> str:
            return "\n".join(str(m["content"]) for m in fake_llm.chat_requests[-1]["messages"])

        for question in ("what is my bank pin?", "what's my nickname, moonpie?", "my cat?"):
            await core.handle_text(group, question)
            prompt = last_prompt()
            assert "4417" not in prompt and "moonpie is" not in prompt
            assert SECRET not in prompt and "pixel" not in prompt
        await core.handle_text(dm, "and what is my bank pin?")
        assert SECRET in last_prompt()  # the DM itself still sees everything

        scoped = await core.handle_text(group, "/memory scope")
        assert "recalls only what you said in that group" in scoped.text
        opted = await core.handle_text(group, "/memory scope everywhere")
        assert "DMs included" in opted.text
        await core.handle_text(group, "what is my bank pin?")
        assert SECRET in last_prompt()
        await core.handle_text(group, "/memory scope private")
        await core.handle_text(group, "what is my bank pin again?")
        assert "4417" not in last_prompt()
    finally:
        await core.close()
