"""Core overhead per turn: everything but the model's own time.

A loopback OpenAI-compatible server (a separate process) answers instantly; the database holds
10k turns. Prints p50/p95/p99 latency, turns/s and CPU ms per turn (this process's CPU time over
the turns; the model server is another process) at 1, 10 and 100 concurrent users, the share
spent inside the model call (litellm + HTTP) versus the rest of the core, start-up time and
resident memory. Run:
python benchmarks/turn_overhead.py [--no-stream] [--no-memory] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_core  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core import Core  # noqa: E402
from bot.llm import LLM, Completion  # noqa: E402
from bot.messages import ChunkSink, Who  # noqa: E402


class TimedLLM(LLM):
    """The real LLM client, with the time spent inside it added up."""

    spent = 0.0

    async def complete(
        self,
        messages: list[dict[str, str]],
        model: str,
        temperature: float,
        on_chunk: ChunkSink | None = None,
        **options: Any,
    ) -> Completion:
        started = time.perf_counter()
        try:
            return await super().complete(messages, model, temperature, on_chunk, **options)
        finally:
            TimedLLM.spent += time.perf_counter() - started


def start_server() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_openai"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    return proc, f"http://127.0.0.1:{port}/v1"


def who(i: int) -> Who:
    return Who("console", f"user{i}", f"User {i}", "local", "console")


def seed(db_path: Path, users: int, turns: int) -> None:
    """Bulk-insert `turns` stored turns spread over the users and the default persona."""
    with sqlite3.connect(db_path) as db:
        pid = db.execute("SELECT id FROM personas WHERE name='assistant'").fetchone()[0]
        ids = [r[0] for r in db.execute("SELECT id FROM users ORDER BY id")][:users]
        chats = {}
        for uid in ids:  # each user's first chat, as the chats migration makes it
            cur = db.execute(
                "INSERT INTO chats (user_id, persona_id, title, created_at)"
                " VALUES (?, ?, '', '2026-11-01 10:00:00')",
                (uid, pid),
            )
            chats[uid] = cur.lastrowid
        rows = []
        for n in range(turns):
            uid = ids[n % len(ids)]
            role = "user" if (n // len(ids)) % 2 == 0 else "assistant"
            rows.append(
                (
                    uid,
                    pid,
                    1,
                    chats[uid],
                    role,
                    f"stored message {n} " + "lorem ipsum " * 8,
                    "2026-11-01 10:00:00",
                )
            )
        db.executemany(
            "INSERT INTO turns (user_id, persona_id, space_id, chat_id, role, content,"
            " prompt_tokens, completion_tokens, model, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, 0, 0, '', ?)",
            rows,
        )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def load(core: Core, users: int, per_user: int, stream: bool) -> tuple[list[float], float]:
    latencies: list[float] = []

    async def sink(_: str) -> None:
        return None

    async def one_user(i: int) -> None:
        for k in range(per_user):
            t0 = time.perf_counter()
            reply = await core.handle_text(
                who(i), f"message {k} from {i}", sink if stream else None
            )
            latencies.append(time.perf_counter() - t0)
            assert not reply.error, reply.text

    started = time.perf_counter()
    await asyncio.gather(*(one_user(i) for i in range(users)))
    return latencies, time.perf_counter() - started


def thread_cpu() -> dict[str, float]:
    """CPU seconds so far per thread name (native threads too), from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for task in Path("/proc/self/task").iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        key = name.rstrip("0123456789-_ ") or name
        if task.name == str(os.getpid()):
            key = "main"
        out[key] = out.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _package(path: str) -> str:
    parts = Path(path).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if path.startswith(str(ROOT)):
        return "ours: " + Path(path).relative_to(ROOT).parts[0]
    return ""


def print_profile(profiler: cProfile.Profile, phase: str = "10-user phase") -> None:
    """Main-thread time of a phase by package, then the top functions. Time in the
    standard library and builtins counts for the package that called it; waiting in epoll is
    idle time and left out."""
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    for (path, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if "poll" in name and "epoll" in name:
            continue
        own = _package(path)
        if own:
            by_package[own] = by_package.get(own, 0.0) + row[2]
            continue
        for (cpath, _cl, _cn), crow in row[4].items():
            key = _package(cpath) or "stdlib (event loop, typing…)"
            by_package[key] = by_package.get(key, 0.0) + crow[2]
    total = sum(by_package.values())
    print(f"main-thread time by package (cProfile tottime, {phase}, idle left out):")
    for key, spent in sorted(by_package.items(), key=lambda kv: -kv[1])[:12]:
        print(f"  {key:28} {spent / total * 100:5.1f}%")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    print(out.getvalue())


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


async def main(
    stream: bool,
    profile: bool,
    memory: bool = True,
    phases: tuple[int, ...] = (1, 10, 100),
    by_thread: bool = False,
    summaries: bool = True,
) -> None:
    server, base = start_server()
    tmp = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    try:
        settings = Settings.model_validate(
            {
                "data_dir": str(tmp),
                "llm": {"model": "openai/bench", "api_base": base, "stream": stream, "retries": 0},
                # Recall and episode storage stay on (they are in the turn's path); extraction
                # runs after the reply, in the background, so it is left out of this figure.
                # Chat summaries (on by default) run in the background too, but are counted:
                # every summary_every turns past the window, one more model call and embedding.
                "memory": {"extraction": False, "enabled": memory, "summaries": summaries},
            }
        )
        t0 = time.perf_counter()
        core = build_core(settings)
        connects = [0]

        def count(*_: object) -> None:
            connects[0] += 1

        from sqlalchemy import event

        event.listen(core.db.engine.sync_engine, "connect", count)
        core.llm = TimedLLM(settings.llm)
        await core.start()
        cold_start = time.perf_counter() - t0
        rss_ready = rss_mb()
        for i in range(100):
            await core.context(who(i))
        seed(tmp / "personabot.db", 100, 10_000)
        t1 = time.perf_counter()
        await load(core, 1, 1, stream)  # first turn pays the litellm import
        first_turn = time.perf_counter() - t1
        await load(core, 100, 1, stream)  # warm every user's caches once
        # The seeded chats are past the window: their one-time catch-up summaries run now,
        # not inside the figures below (benchmarks/chat_controls.py times a pass).
        await core.summaries.wait()
        print(
            f"stream={stream}  memory={memory}  summaries={summaries}  "
            "stored turns=10,000 (+ warm-up)  "
            f"python={sys.version.split()[0]}"
        )
        print(f"start-up to ready (migrate + presets, fresh db): {cold_start * 1000:.0f} ms")
        print(
            f"first turn (imports litellm): {first_turn * 1000:.0f} ms; "
            f"resident memory after it and 100 warm-up turns: {rss_mb():.0f} MB"
        )
        print(
            f"{'users':>6} {'turns':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'turns/s':>8} "
            f"{'CPU ms/turn':>12} {'in LLM call':>12}"
        )
        profiler = cProfile.Profile() if profile else None
        for users, per_user in ((1, 200), (10, 50), (100, 10)):
            if users not in phases:
                continue
            TimedLLM.spent = 0.0
            if profiler and users == 10:
                profiler.enable()
            cpu = time.process_time()
            threads_before = thread_cpu()
            lat, wall = await load(core, users, per_user, stream)
            await core.summaries.wait()  # the summaries these turns caused count as theirs
            cpu_ms = (time.process_time() - cpu) / len(lat) * 1000
            if by_thread:
                after = thread_cpu()
                spent = {k: v - threads_before.get(k, 0.0) for k, v in after.items()}
                print(
                    "  CPU ms/turn by thread: "
                    + ", ".join(
                        f"{k} {v / len(lat) * 1000:.1f}"
                        for k, v in sorted(spent.items(), key=lambda kv: -kv[1])
                        if v > 0
                    )
                )
            if profiler and users == 10:
                profiler.disable()
            if by_thread:
                print(f"  resident memory: {rss_mb():.0f} MB")
            share = TimedLLM.spent / sum(lat) * 100
            print(
                f"{users:>6} {len(lat):>6} {statistics.median(lat) * 1000:>8.1f} "
                f"{pct(lat, 95) * 1000:>8.1f} {pct(lat, 99) * 1000:>8.1f} "
                f"{len(lat) / wall:>8.0f} {cpu_ms:>12.1f} {share:>11.0f}%"
            )
        print(f"SQLite connections opened: {connects[0]}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"resident memory: {rss_ready:.0f} MB at ready, {rss_mb():.0f} MB after the runs "
            f"(peak {peak:.0f} MB)"
        )
        await core.close()
        if profiler:
            print_profile(profiler)
        proc = subprocess.run(
            [sys.executable, "-m", "bot", "console", "--user", "bench"],
            cwd=ROOT,
            input="/persona list\n",
            capture_output=True,
            text=True,
            env={**os.environ, "PERSONABOT__DATA_DIR": str(tmp / "proc")},
        )
        t2 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "console", "--user", "bench"],
            cwd=ROOT,
            input="/persona list\n",
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PERSONABOT__DATA_DIR": str(tmp / "proc")},
        )
        print(
            f"process start → first command answered → exit (existing db): "
            f"{(time.perf_counter() - t2) * 1000:.0f} ms (first run rc={proc.returncode})"
        )
    finally:
        server.terminate()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-stream", action="store_true")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--no-summaries", action="store_true", help="chat summaries off")
    ap.add_argument("--threads", action="store_true", help="CPU per thread name")
    ap.add_argument(
        "--users", type=int, nargs="*", default=[1, 10, 100], help="which phases to run"
    )
    a = ap.parse_args()
    asyncio.run(
        main(
            not a.no_stream,
            a.profile,
            not a.no_memory,
            tuple(a.users),
            a.threads,
            not a.no_summaries,
        )
    )
