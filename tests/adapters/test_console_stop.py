"""Ctrl-C at a terminal stops the embedded model's reply — its generation thread too — keeps
what was written, and returns to the prompt; the next message is answered at once."""

from __future__ import annotations

import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.support.process import ROOT, bot_env


class Terminal:
    """`python -m bot console` on a pseudo-terminal, read as a user would see it."""

    def __init__(self, env: dict[str, str]) -> None:
        self.master, slave = os.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--user", "tess"],
            cwd=ROOT,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
        )
        os.close(slave)
        self.seen = ""

    def until(self, text: str, after: int, limit_s: float) -> float:
        """Read until `text` shows after position `after`; returns the seconds it took."""
        started = time.monotonic()
        while text not in self.seen[after:]:
            left = limit_s - (time.monotonic() - started)
            assert left > 0, f"no {text!r} within {limit_s}s; the screen:\n{self.seen[-2000:]}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.2))
            if ready:
                self.seen += os.read(self.master, 65536).decode(errors="replace")
        return time.monotonic() - started

    def type(self, line: str) -> int:
        """Type a line; returns where the screen was before it."""
        mark = len(self.seen)
        os.write(self.master, (line + "\n").encode())
        return mark


def test_ctrl_c_stops_an_embedded_reply_and_returns_to_the_prompt(tmp_path: Path) -> None:
    # Long enough that, left alone, the reply would run for a minute or more on 2 cores.
    env = bot_env(tmp_path, llm__embedded_max_tokens="3000", llm__timeout_s="600")
    term = Terminal(env)
    try:
        term.until("you> ", 0, 120)
        mark = term.type("Tell me a very long story about a dragon, a knight and a city.")
        term.until("Assistant: ", mark, 120)
        words = len(term.seen) + 40
        while len(term.seen) < words:  # some of the story is on the screen
            term.until(" ", len(term.seen), 120)
        term.proc.send_signal(signal.SIGINT)  # what the terminal does on Ctrl-C
        mark = len(term.seen)
        back = term.until("you> ", mark, 30)
        assert "(stopped" in term.seen[mark:]
        mark = term.type("hi")  # and the next message is answered
        term.until("you> ", mark, 120)
        term.type("/quit")
        assert term.proc.wait(30) == 0
    finally:
        if term.proc.poll() is None:
            term.proc.kill()
        os.close(term.master)
    with sqlite3.connect(tmp_path / "personabot.db") as db:
        replies = db.execute(
            "SELECT status, completion_tokens FROM turns WHERE role='assistant' ORDER BY id"
        ).fetchall()
    assert replies[0][0] == "cut" and len(replies) == 2
    print(f"Ctrl-C to the prompt: {back:.2f} s")  # the README quotes this figure
