"""Telegram end to end: a burst of messages from many users through python-telegram-bot.

The real Telegram adapter polls a loopback Bot API (a process of its own) and asks a loopback
OpenAI-compatible model (another process) that answers instantly, streamed; long-term memory and
fact extraction are on, as they are by default with a remote model. After a warm-up message from
each user, `--messages` messages from `--users` users arrive at once (each user's n-th message
before anyone's (n+1)-th). Prints this process's CPU ms per message (the bot's; the two servers
are other processes), messages/s until the last reply is shown, whether each user's replies were
shown in the order sent, the Bot API calls made, how long fact extraction ran on after the last
reply, and resident memory. Run:
python benchmarks/telegram_burst.py [--messages 1000] [--users 100] [--no-memory] [--profile]
[--no-buttons]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from turn_overhead import print_profile, rss_mb, start_server, thread_cpu  # noqa: E402

from adapters.telegram import TelegramAdapter  # noqa: E402
from bot.app import build_core  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.support.bursts import SAID  # noqa: E402
from tests.support.fake_telegram import TOKEN, message, user  # noqa: E402


def start_bot_api() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_telegram"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def process_cpu(pid: int) -> float:
    """CPU seconds another process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _http(url: str, body: Any = None) -> Any:
    """The control side of the loopback Bot API (blocking; called off the event loop)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


class Watcher:
    """Follows what the bot showed: per user, the message numbers whose whole answer is there."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.since = 0
        self.shown: dict[int, list[int]] = {}
        self.methods: dict[str, int] = {}

    def count(self) -> int:
        return sum(len(v) for v in self.shown.values())

    async def poll(self) -> None:
        got = await asyncio.to_thread(_http, f"{self.base}/_texts?since={self.since}")
        self.since = got["calls"]
        self.methods = got["methods"]
        for _chat, text in got["texts"]:
            found = SAID.search(text)
            if found and int(found[2]) not in self.shown.get(int(found[1]), []):
                self.shown.setdefault(int(found[1]), []).append(int(found[2]))

    async def until(self, total: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while self.count() < total:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.count()} of {total} answers shown")
            await asyncio.sleep(0.1)
            await self.poll()


async def main(
    messages: int, users: int, memory: bool, profile: bool = False, buttons: bool = True
) -> None:
    # The loopback model answers every structured call with an empty fact list, which the
    # shared-knowledge pass rejects (a warning per pass): real, but not what is measured here.
    logging.getLogger("bot.memory.knowledge").setLevel(logging.ERROR)
    model, model_base = start_server()
    api, api_base = start_bot_api()
    tmp = Path(tempfile.mkdtemp(prefix="pb-tg-bench-"))
    try:
        settings = Settings.model_validate(
            {
                "data_dir": str(tmp),
                "llm": {"model": "openai/bench", "api_base": model_base, "retries": 0},
                "memory": {"enabled": memory},
                "adapters": {
                    "telegram": {
                        "base_url": f"{api_base}/bot",
                        "base_file_url": f"{api_base}/file/bot",
                        "poll_timeout_s": 1,
                        "reply_buttons": buttons,
                    }
                },
            }
        )
        core = build_core(settings)
        await core.start()
        adapter = TelegramAdapter(core, TOKEN, settings.adapters.telegram)
        core.outbox.register(adapter)
        await adapter.start()
        rss_idle = rss_mb()
        people = [user(5000 + i, f"U{i}") for i in range(users)]
        each = max(1, messages // users)
        # Warm-up: every user once (litellm's import, caches, the first full-text search).
        watcher = Watcher(api_base)
        await asyncio.to_thread(
            _http, f"{api_base}/_push", [message(p, f"u{i} m0") for i, p in enumerate(people)]
        )
        await watcher.until(users)
        if core.extractor is not None:
            await core.extractor.wait()
        rss_warm = rss_mb()

        burst = [
            message(p, f"u{i} m{n}") for n in range(1, each + 1) for i, p in enumerate(people)
        ]
        before_methods = dict(watcher.methods)
        profiler = cProfile.Profile() if profile else None
        if profiler:
            profiler.enable()
        cpu0, threads0, t0 = time.process_time(), thread_cpu(), time.perf_counter()
        servers0 = process_cpu(model.pid) + process_cpu(api.pid)
        await asyncio.to_thread(_http, f"{api_base}/_push", burst)
        await watcher.until(users + len(burst))
        wall = time.perf_counter() - t0
        servers = process_cpu(model.pid) + process_cpu(api.pid) - servers0
        cpu_answered = time.process_time() - cpu0
        t1 = time.perf_counter()
        if core.extractor is not None:
            await core.extractor.wait()
        lag = time.perf_counter() - t1
        pending = await core.turns.awaiting_extraction(10_000, 3)
        cpu_all = time.process_time() - cpu0
        if profiler:
            profiler.disable()
        threads = {k: v - threads0.get(k, 0.0) for k, v in thread_cpu().items()}
        await watcher.poll()
        order_kept = all(v == list(range(each + 1)) for v in watcher.shown.values())
        calls = {k: v - before_methods.get(k, 0) for k, v in watcher.methods.items()}
        n = len(burst)
        print(
            f"Telegram burst: {n} messages from {users} users at once, memory={memory}, "
            f"reply buttons={buttons}"
        )
        print(
            f"CPU ms per message: {cpu_answered / n * 1000:.1f} until the last answer, "
            f"{cpu_all / n * 1000:.1f} with fact extraction"
        )
        print(
            f"messages/s: {n / wall:.1f} ({wall:.1f} s to the last answer; the loopback "
            f"servers used {servers / n * 1000:.1f} ms of CPU per message of the same cores)"
        )
        print(f"each user's answers shown in the order sent: {order_kept}")
        if core.extractor is None:
            print("fact extraction: off")
        else:
            print(
                f"fact extraction ran on {lag:.1f} s after the last answer; "
                f"{len(pending)} exchanges left pending"
            )
        print(
            "Bot API calls: "
            + ", ".join(
                f"{k} {v}" for k, v in sorted(calls.items(), key=lambda kv: -kv[1]) if v > 0
            )
        )
        print(
            "CPU ms per message by thread: "
            + ", ".join(
                f"{k} {v / n * 1000:.1f}"
                for k, v in sorted(threads.items(), key=lambda kv: -kv[1])
                if v > 0.01
            )
        )
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"resident memory: {rss_idle:.0f} MB idle, {rss_warm:.0f} MB after the warm-up, "
            f"{rss_mb():.0f} MB after the burst (peak {peak:.0f} MB)"
        )
        await adapter.stop()
        await core.close()
        if profiler:
            print_profile(profiler, "the burst")
    finally:
        api.terminate()
        model.terminate()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--messages", type=int, default=1000)
    ap.add_argument("--users", type=int, default=100)
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--profile", action="store_true", help="main-thread profile of the burst")
    ap.add_argument("--no-buttons", action="store_true", help="reply_buttons off")
    a = ap.parse_args()
    asyncio.run(main(a.messages, a.users, not a.no_memory, a.profile, not a.no_buttons))
