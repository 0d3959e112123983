"""Small surprises a new user met, each fixed and held here."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.core import Core
from storage.models import utcnow
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI
from tests.support.process import ROOT, bot_env


async def test_counts_greetings_retiring_marks_and_relative_dates(core: Core) -> None:
    alice = who("alice")
    made = await core.handle_text(alice, '/persona create luna prompt="x" greeting="Hi, friend!"')
    assert made.text.endswith("\n\nLuna: Hi, friend!")  # the greeting shows at once
    await core.handle_text(alice, "hello")
    assert "used once" in (await core.handle_text(alice, "/persona show luna")).text
    await core.handle_text(alice, "hello again")  # the active persona comes from the cache
    assert "used 2 times" in (await core.handle_text(alice, "/persona show")).text
    planned = await core.handle_text(alice, "/persona retire luna on=tomorrow")
    tomorrow = utcnow().date().toordinal() + 1
    assert not planned.error, planned.text
    assert str(type(utcnow().date()).fromordinal(tomorrow)) in planned.text
    listed = (await core.handle_text(alice, "/persona list")).text
    assert "luna — Luna (yours, private) [retiring]" in listed
    later = await core.handle_text(alice, "/persona retire luna on=in 3 days")
    assert not later.error, later.text


async def test_control_sequences_in_names_never_reach_the_terminal(core: Core) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(core, "alice", stdout=out, interactive=False)
    await console.handle('/persona create evil prompt="x" display="\x1b[2J\x1b[31mEvil\x07"')
    await console.handle("hello \x1b[5mthere")
    printed = out.getvalue()
    assert "\x1b" not in printed and "\x07" not in printed
    assert "Evil: echo: hello there" in printed


def test_no_token_and_no_terminal_says_what_it_does(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    tokens = ("DISCORD_TOKEN", "TELEGRAM_TOKEN")
    env = {k: v for k, v in bot_env(tmp_path, fake_llm.base_url).items() if k not in tokens}
    done = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert "no DISCORD_TOKEN or TELEGRAM_TOKEN and no terminal" in done.stderr
