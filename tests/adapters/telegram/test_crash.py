"""kill -9 in the middle of a burst loses no message: the restarted bot answers every update it
had fetched, or tells its user that it was interrupted while answering.

The bot runs as a real process (`python -m bot`) polling the loopback Bot API; Telegram's rule
that a batch is confirmed by the next getUpdates is the fake's too, so what the first process
fetched is gone from the server when it dies.
"""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import TOKEN, FakeBotAPI, message, user
from tests.support.process import ROOT, bot_env

USERS = 20
EACH = 10


def start_bot(api: FakeBotAPI, fake_llm: FakeOpenAI, data: Path) -> subprocess.Popen[bytes]:
    env = bot_env(
        data,
        fake_llm.base_url,
        memory__enabled="false",
        scheduler__enabled="false",
        adapters__telegram__base_url=f"{api.base}/bot",
        adapters__telegram__base_file_url=f"{api.base}/file/bot",
        adapters__telegram__poll_timeout_s="1",
    )
    env["TELEGRAM_TOKEN"] = TOKEN
    return subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def accounted(api: FakeBotAPI) -> tuple[set[str], set[str]]:
    """(answered, explained): the messages that got their echo, or an "I was restarted"."""
    answered: set[str] = set()
    explained: set[str] = set()
    for call in api.calls:
        if call.method not in ("sendMessage", "editMessageText"):
            continue
        for said in re.findall(r"echo: (u\d\d m\d\d)\b", call.text):
            answered.add(said)
        if "I was restarted while answering" in call.text:
            explained.update(re.findall(r"u\d\d m\d\d", call.text))
    return answered, explained


async def until(check: object, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > end:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_kill_9_mid_burst_loses_nothing(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    fake_llm.server.jitter_s = 0.08  # answers take a while: the burst is mid-way at the kill
    api = await FakeBotAPI().start()
    first = start_bot(api, fake_llm, tmp_path)
    try:
        await until(lambda: api.find("getUpdates"), 60)
        people = [user(7000 + i, f"U{i}") for i in range(USERS)]
        texts = [f"u{i:02d} m{n:02d}" for n in range(EACH) for i in range(USERS)]
        last = 0
        for text in texts:
            last = api.push(message(people[int(text[1:3])], text))
        await api.fetched(last, timeout=60)  # confirmed to "Telegram": gone from the server
        await until(lambda: len(accounted(api)[0]) >= 20, 60)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        before, _ = accounted(api)
        assert len(before) < len(texts)  # the kill really came mid-burst

        second = start_bot(api, fake_llm, tmp_path)
        try:
            everything = set(texts)
            await until(lambda: everything <= set.union(*accounted(api)), 90)
        finally:
            second.send_signal(signal.SIGTERM)
            # Waited for off the loop: the loopback Bot API lives on it and must keep answering
            # the replies the bot still finishes while it shuts down.
            assert await asyncio.to_thread(second.wait, 30) == 0
    finally:
        if first.poll() is None:
            first.kill()
        await api.stop()
    answered, explained = accounted(api)
    assert set(texts) <= answered | explained  # zero lost
    assert answered - before  # the restarted bot answered what the first never began
    assert len(explained) <= USERS  # at most the one turn per user that was in flight
