"""Scaling out: turns/s with 1, 2 and 3 webhook workers on PostgreSQL next to one on SQLite,
and recall latency at 100k memories with LanceDB on a local folder vs on an object store.

`turns`: real `python -m bot` workers in Telegram webhook mode, memory on (the offline
embedding model in every worker), the loopback Bot API and an instantly answering loopback model
(processes of their own). PostgreSQL runs share LanceDB on a loopback S3 server (moto); the
SQLite run keeps LanceDB in its data folder; with `--stores s3,folder` the PostgreSQL runs are
repeated with one LanceDB folder the workers share. After a warm-up message from every user,
each user sends `--each` messages, one after another, delivered round-robin to the workers by this
process (as Telegram and a proxy would: up to 40 deliveries at once); timed until the last
answer is shown. All processes share this machine's cores.

`recall`: `--memories` rows over 10,000 owners with random unit vectors (the embedding model's
time is the same either way and left out), then `--queries` searches of random owners, as a
turn's recall asks them (vector and full-text candidates), with the store shared (nothing held
between reads: what several workers need) and, for the local folder, also as one process runs
it. moto keeps objects in Python and reads a whole object to answer a ranged GET, so its
latency says more about moto than about S3; the requests per recall it counts say what a real
store would be asked. Run:
python benchmarks/workers.py turns [--users 60] [--each 5] [--pg postgresql+asyncpg://...]
python benchmarks/workers.py recall [--memories 100000] [--queries 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import aiohttp  # noqa: E402
from telegram_burst import Watcher, start_bot_api  # noqa: E402
from turn_overhead import start_server  # noqa: E402

from storage.keys import OwnerKey  # noqa: E402
from storage.lance_location import LanceLocation  # noqa: E402
from storage.vectors import VectorRow, VectorStore  # noqa: E402
from tests.support.fake_telegram import message, user  # noqa: E402
from tests.support.process import start_bot, webhook_env  # noqa: E402
from tests.support.s3 import CREDENTIALS, MotoServer, free_port  # noqa: E402

SECRET = "bench-secret"
OWNERS = 10_000
DIM = 384


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- turns/s ----------------------------------------------------------------------------------


async def _pg_database(base: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(base.replace("postgresql+asyncpg", "postgresql") + "/postgres")
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _listening(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    end = time.monotonic() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"a worker exited at start:\n{log.read_text()[-2000:]}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            if time.monotonic() > end:
                raise
            await asyncio.sleep(0.2)


async def _deliver_all(ports: list[int], per_user: list[list[dict[str, Any]]]) -> None:
    slots = asyncio.Semaphore(40)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    async def one_user(i: int, updates: list[dict[str, Any]], http: aiohttp.ClientSession) -> None:
        for n, update in enumerate(updates):
            port = ports[(i + n) % len(ports)]
            async with (
                slots,
                http.post(
                    f"http://127.0.0.1:{port}/telegram", json=update, headers=headers
                ) as answer,
            ):
                answer.raise_for_status()

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(one_user(i, u, http) for i, u in enumerate(per_user)))


async def run_turns(
    workers: int, db: str, users: int, each: int, moto: MotoServer | None, next_id: list[int]
) -> float:
    """Turns/s of one set of workers on `db` ("sqlite" or a PostgreSQL base URL)."""
    model, model_base = start_server()
    api, api_base = start_bot_api()
    tmp = Path(tempfile.mkdtemp(prefix="pb-workers-"))
    name = f"pb_bench_{uuid.uuid4().hex[:10]}"
    procs: list[subprocess.Popen[bytes]] = []
    try:
        extra: dict[str, str] = {}
        if db != "sqlite":
            await _pg_database(db, f'CREATE DATABASE "{name}"')
            extra["database_url"] = f"{db}/{name}"
        if moto is not None:
            extra["memory__vectors_dir"] = f"s3://{moto.bucket()}/lance"
            extra["memory__vectors_options"] = json.dumps(moto.options())
        ports = [free_port() for _ in range(workers)]
        for n, port in enumerate(ports):
            env = webhook_env(
                tmp, model_base, api_base, port, SECRET, scheduler__enabled="false", **extra
            )
            procs.append(start_bot(env | CREDENTIALS, tmp / f"worker{n}.log"))
            await _listening(port, procs[-1], tmp / f"worker{n}.log")  # one migrates first
        people = [user(5000 + i, f"U{i}") for i in range(users)]

        def update(i: int, n: int) -> dict[str, Any]:
            next_id[0] += 1
            return {"update_id": next_id[0], **message(people[i], f"u{i} m{n}")}

        watcher = Watcher(api_base)
        await _deliver_all(ports, [[update(i, 0)] for i in range(users)])  # warm-up
        await watcher.until(users)
        await asyncio.sleep(3)  # the warm-up's fact extraction settles
        burst = [[update(i, n) for n in range(1, each + 1)] for i in range(users)]
        started = time.perf_counter()
        await asyncio.gather(_deliver_all(ports, burst), watcher.until(users * (each + 1)))
        wall = time.perf_counter() - started
        order = all(v == list(range(each + 1)) for v in watcher.shown.values())
        rate = users * each / wall
        where = "SQLite, LanceDB in the data folder" if db == "sqlite" else "PostgreSQL"
        if db != "sqlite":
            where += ", LanceDB on the loopback S3 server" if moto else ", one LanceDB folder"
        print(
            f"{workers} worker(s), {where}: {rate:.1f} turns/s "
            f"({users * each} turns in {wall:.1f} s; each user's answers in order: {order})",
            flush=True,
        )
        return rate
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        api.terminate()
        model.terminate()
        if db != "sqlite":
            await _pg_database(db, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def turns(users: int, each: int, pg: str, stores: list[str]) -> None:
    moto = MotoServer.start()
    next_id = [0]
    try:
        print(f"{users} users, {each} messages each after a warm-up; memory on", flush=True)
        await run_turns(1, "sqlite", users, each, None, next_id)
        for store in stores:
            for workers in (1, 2, 3):
                await run_turns(workers, pg, users, each, moto if store == "s3" else None, next_id)
    finally:
        moto.stop()


# -- recall at 100k ---------------------------------------------------------------------------


async def _fill(store: VectorStore, size: int, rng: np.random.Generator) -> list[OwnerKey]:
    owners = [OwnerKey(u, 1) for u in range(1, OWNERS + 1)]
    words = ["tea", "dog", "paris", "guitar", "rain", "birthday", "novel", "bike", "exam"]
    start = datetime(2026, 1, 1)
    for first in range(0, size, 20_000):
        n = min(20_000, size - first)
        vectors = rng.standard_normal((n, DIM)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        await store.add(
            [
                VectorRow(
                    first + i + 1,
                    owners[(first + i) % OWNERS],
                    "fact",
                    f"{words[(first + i) % len(words)]} note {first + i}",
                    start + timedelta(minutes=first + i),
                    vectors[i],
                )
                for i in range(n)
            ]
        )
    await store.optimize()
    return owners


async def _queries(store: VectorStore, owners: list[OwnerKey], count: int) -> list[float]:
    rng = np.random.default_rng(7)
    picks = random.Random(7)
    times = []
    for _ in range(count):
        vector = rng.standard_normal(DIM).astype(np.float32)
        started = time.perf_counter()
        await store.search(picks.choice(owners), "tea birthday", vector, 40)
        times.append((time.perf_counter() - started) * 1000)
    return times


def _requests(log: Path) -> int:
    """Requests moto has answered so far (one log line each)."""
    return sum(1 for line in log.read_text(errors="replace").splitlines() if '" 20' in line)


async def recall(memories: int, queries: int, s3_queries: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="pb-recall-"))
    moto_log = tmp / "moto.log"
    moto = MotoServer.start(moto_log)
    os.environ.update(CREDENTIALS)
    try:
        roots = {
            "local folder, one process": LanceLocation(str(tmp / "one")),
            "local folder, shared": LanceLocation(str(tmp / "shared"), shared=True),
            "loopback S3 (moto), shared": moto.location(),
        }
        print(f"{memories} memories over {OWNERS} owners", flush=True)
        for label, root in roots.items():
            store = VectorStore(root, DIM)
            started = time.perf_counter()
            owners = await _fill(store, memories, np.random.default_rng(1))
            loaded = time.perf_counter() - started
            count = s3_queries if root.remote else queries
            await _queries(store, owners, 5)  # first reads open files and caches
            before = _requests(moto_log)
            times = await _queries(store, owners, count)
            asked = (_requests(moto_log) - before) / count if root.remote else 0
            print(
                f"{label}: recall p50 {statistics.median(times):.1f} ms, "
                f"p95 {pct(times, 0.95):.1f} ms over {count} recalls (load {loaded:.0f} s)"
                + (f"; {asked:.1f} requests to the store per recall" if root.remote else ""),
                flush=True,
            )
            await store.close()
    finally:
        moto.stop()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="what", required=True)
    t = sub.add_parser("turns")
    t.add_argument("--users", type=int, default=60)
    t.add_argument("--each", type=int, default=5)
    t.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432")
    t.add_argument("--stores", default="s3,folder", help="where PostgreSQL runs keep vectors")
    r = sub.add_parser("recall")
    r.add_argument("--memories", type=int, default=100_000)
    r.add_argument("--queries", type=int, default=500)
    r.add_argument("--s3-queries", type=int, default=100, help="moto is slow: fewer there")
    a = ap.parse_args()
    if a.what == "turns":
        asyncio.run(turns(a.users, a.each, a.pg, a.stores.split(",")))
    else:
        asyncio.run(recall(a.memories, a.queries, a.s3_queries))
