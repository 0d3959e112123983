"""Hostile input at the edges: huge numbers, broken Unicode, one bad text in a shared batch."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core import Core
from bot.memory.embeddings import LocalMiniLM
from storage.db import head_revision
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI
from tests.support.process import ROOT, bot_env

HUGE = "99999999999999999999999"


@pytest.mark.parametrize(
    "line",
    [
        f"/memory forget {HUGE}",
        f"/memory pin {HUGE}",
        f"/memory unpin -{HUGE}",
        f"/memory list page={HUGE}",
        f"/persona retire assistant after={HUGE}",
    ],
)
async def test_huge_integers_are_refused_clearly(core: Core, line: str) -> None:
    reply = await core.handle_text(who("root"), line)
    assert reply.error and "is too large" in reply.text, reply.text


async def test_a_lone_surrogate_is_replaced_not_fatal(core: Core) -> None:
    alice = who("alice")
    said = await core.handle_text(alice, "remember this \ud800 please")
    assert not said.error and said.text == "echo: remember this ? please"
    found = await core.handle_text(alice, "/memory search \udfff please")
    assert not found.error, found.text


async def test_one_bad_text_does_not_fail_the_others_in_its_batch() -> None:
    embedder = LocalMiniLM()
    # Queued together, as concurrent users' requests are; the second can't be tokenized.
    good, bad, other = await asyncio.gather(
        embedder.embed(["the weather is nice"]),
        embedder.embed(["\ud800 broken"]),
        embedder.embed(["my dog is called Rex"]),
        return_exceptions=True,
    )
    assert not isinstance(good, BaseException) and good.shape == (1, 384)
    assert not isinstance(other, BaseException) and other.shape == (1, 384)
    assert isinstance(bad, BaseException)


def test_invalid_utf8_on_the_console_costs_nothing(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    env = bot_env(tmp_path, fake_llm.base_url, memory__enabled="false")
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console", "--user", "alice"],
        cwd=ROOT,
        env=env,
        input=b"caf\xe9 \xff ok\nsecond line\n",
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    lines = done.stdout.decode().splitlines()
    assert lines == ["Assistant: echo: caf\ufffd \ufffd ok", "Assistant: echo: second line"]


def test_data_is_private_and_debug_logs_hold_no_prompt(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    data = tmp_path / "data"
    env = bot_env(data, fake_llm.base_url, log_level="DEBUG")

    def run(**extra: str) -> subprocess.CompletedProcess[bytes]:
        done = subprocess.run(
            [sys.executable, "-m", "bot", "console", "--user", "alice"],
            cwd=ROOT,
            env={**env, **extra},
            input=b"my diary says zanzibar-quokka\n/memory export\n",
            capture_output=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        return done

    assert b"zanzibar-quokka" not in run().stderr  # DEBUG on: still no prompt in the log
    # Asked for explicitly, the libraries do log whole requests (so the check above can fail).
    assert b"zanzibar-quokka" in run(PERSONABOT__LOG_LIBRARIES="true").stderr
    assert data.stat().st_mode & 0o777 == 0o700
    created = [p for p in data.rglob("*")]
    assert any(p.name == "personabot.db" for p in created)
    assert any(p.suffix == ".json" for p in created)  # the export
    for path in created:
        want = 0o700 if path.is_dir() else 0o600
        assert path.stat().st_mode & 0o777 == want, path


def test_health_says_whether_the_database_is_ready(tmp_path: Path) -> None:
    env = bot_env(tmp_path)

    def health() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "health"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    before = health()
    assert before.returncode == 1 and f"expected {head_revision()}" in before.stderr  # empty
    subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        cwd=ROOT,
        env=env,
        input="",
        capture_output=True,
        timeout=120,
        check=True,
    )
    after = health()
    assert after.returncode == 0 and after.stdout.strip() == "ok"
