"""Three webhook workers (`python -m bot` processes) on one PostgreSQL database: 1,000
messages from 100 users spread over them, one worker killed with SIGKILL mid-burst and
restarted. Every message is answered exactly once (or its sender told that a restart cut its
answer off), each user's answers come in the order they were sent, and every scheduler slot
runs once although all three workers run the scheduler.

The test plays Telegram and the proxy in front of the workers: each user's updates are
delivered one after another (the next once the previous was accepted with 200), up to 40 at
once overall (Telegram's default max_connections), each to the next worker in turn; a delivery
that fails (the killed worker) goes to another worker, as a proxy retries it."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
from collections import defaultdict
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import Call, FakeBotAPI, message, user
from tests.support.process import start_bot, webhook_env
from tests.support.s3 import free_port

WORKERS = 3
USERS = 100
EACH = 10
SECRET = "webhook-secret-for-tests"
ECHO = re.compile(r"echo: (u\d{3} m\d{2})\b")
TOLD = re.compile(r"I was restarted while answering “(u\d{3} m\d{2})”")


class Worker:
    """One `python -m bot` in webhook mode on its own port; its log goes to a file."""

    def __init__(self, n: int, api: FakeBotAPI, llm: FakeOpenAI, db_url: str, data: Path):
        self.n, self.port, self.log = n, free_port(), data.parent / f"worker{n}.log"
        self.env = webhook_env(
            data,
            llm.base_url,
            api.base,
            self.port,
            SECRET,
            database_url=db_url,
            memory__enabled="false",
            log_level="INFO",
            scheduler__jobs__health="'* * * * *'",
            scheduler__jobs__mood="'* * * * *'",
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = start_bot(self.env, self.log)

    async def ready(self, timeout: float = 90) -> None:
        end = time.monotonic() + timeout
        while True:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                if time.monotonic() > end:
                    raise AssertionError(f"worker {self.n} did not listen") from None
                await asyncio.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)


class Proxy:
    """Telegram's deliveries through a round-robin proxy that retries a failed delivery at the
    next worker."""

    def __init__(self, workers: list[Worker]) -> None:
        self.workers = workers
        self.slots = asyncio.Semaphore(40)
        self.retried = 0

    async def deliver(
        self, http: aiohttp.ClientSession, update: dict[str, object], at: int
    ) -> None:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        end = time.monotonic() + 120
        while time.monotonic() < end:
            port = self.workers[at % len(self.workers)].port
            try:
                async with (
                    self.slots,
                    http.post(
                        f"http://127.0.0.1:{port}/telegram", json=update, headers=headers
                    ) as response,
                ):
                    if response.status == 200:
                        return
            except (TimeoutError, aiohttp.ClientError):
                pass
            self.retried += 1
            at += 1
            await asyncio.sleep(0.05)
        raise AssertionError(f"update {update['update_id']} was never accepted")


def answers(calls: list[Call]) -> tuple[dict[str, set[int]], dict[int, list[str]], set[str]]:
    """(text → the bot messages that echoed it, chat → texts in the order first echoed,
    texts whose sender was told a restart cut the answer off)."""
    echoed: dict[str, set[int]] = defaultdict(set)
    order: dict[int, list[str]] = defaultdict(list)
    told: set[str] = set()
    for call in calls:
        if call.method not in ("sendMessage", "editMessageText"):
            continue
        said = call.text
        told.update(TOLD.findall(said))
        if call.method == "sendMessage":
            bot_message = int(call.result["message_id"]) if call.result else -1
        else:
            bot_message = int(call.params.get("message_id") or -1)
        for found in ECHO.findall(said):
            if not echoed[found]:
                order[int(call.params.get("chat_id") or 0)].append(found)
            echoed[found].add(bot_message)
    return echoed, order, told


async def _settled(api: FakeBotAPI, texts: set[str], db_url: str, timeout: float) -> None:
    end = time.monotonic() + timeout
    while True:
        echoed, _, told = answers(list(api.calls))
        if texts <= set(echoed) | told:
            return
        if time.monotonic() > end:
            missing = sorted(texts - set(echoed) - told)
            rows = await _query(
                db_url,
                "SELECT update_id, sender, received_at, taken_at, done_at, payload FROM inbox "
                "WHERE done_at IS NULL OR payload LIKE '%" + missing[0] + "%'",
            )
            chat = 8000 + int(missing[0][1:4])
            sent = [
                (c.method, c.text[:60])
                for c in api.calls
                if c.method in ("sendMessage", "editMessageText")
                and int(c.params.get("chat_id") or 0) == chat
            ]
            raise AssertionError(
                f"{len(missing)} never answered, e.g. {missing[:5]}; {rows}; sent: {sent}"
            )
        await asyncio.sleep(0.2)


async def _query(db_url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(text(sql))]
    finally:
        await engine.dispose()


async def _slots(db_url: str) -> list[tuple[str, str, int, str]]:
    rows = await _query(
        db_url, "SELECT job, slot, count(*), min(status) FROM job_runs GROUP BY job, slot"
    )
    return [(str(j), str(s), int(str(n)), str(st)) for j, s, n, st in rows]


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_three_webhook_workers_answer_every_message_once_in_order(
    tmp_path: Path, fake_llm: FakeOpenAI, db_url: str
) -> None:
    fake_llm.server.jitter_s = 0.02
    api = await FakeBotAPI().start()
    data = tmp_path / "data"
    data.mkdir()
    workers = [Worker(n, api, fake_llm, db_url, data) for n in range(WORKERS)]
    workers[0].start()
    await workers[0].ready()  # the first migrates the database; the others find it at head
    for w in workers[1:]:
        w.start()
    await asyncio.gather(*(w.ready() for w in workers[1:]))
    proxy = Proxy(workers)
    people = [user(8000 + i, f"U{i}") for i in range(USERS)]
    texts = {f"u{i:03d} m{n:02d}" for i in range(USERS) for n in range(EACH)}
    update_ids = iter(range(1, USERS * EACH + 1))

    async def sender(i: int, http: aiohttp.ClientSession) -> None:
        for n in range(EACH):
            update = {"update_id": next(update_ids), **message(people[i], f"u{i:03d} m{n:02d}")}
            await proxy.deliver(http, update, at=i + n)

    async def kill_and_restart() -> int:
        while len(answers(list(api.calls))[0]) < 250:
            await asyncio.sleep(0.05)
        victim = workers[0]
        victim.stop(signal.SIGKILL)
        assert victim.proc is not None
        await asyncio.to_thread(victim.proc.wait, 10)
        answered = len(answers(list(api.calls))[0])
        await asyncio.sleep(1)
        victim.start()
        await victim.ready()
        return answered

    try:
        async with aiohttp.ClientSession() as http:
            *_, at_kill = await asyncio.gather(
                *(sender(i, http) for i in range(USERS)), kill_and_restart()
            )
        await _settled(api, texts, db_url, 120)
        # A scheduler slot that every worker fired: wait for the next minute if none yet.
        end = time.monotonic() + 75
        while not any(job == "health" for job, *_ in await _slots(db_url)):
            assert time.monotonic() < end, "no scheduler slot ran"
            await asyncio.sleep(1)
    finally:
        for w in workers:
            w.stop()
        for w in workers:
            if w.proc is not None:
                try:
                    await asyncio.to_thread(w.proc.wait, 30)
                except subprocess.TimeoutExpired:
                    w.proc.kill()
        await api.stop()

    assert at_kill < len(texts)  # the kill came mid-burst
    echoed, order, told = answers(list(api.calls))
    assert texts <= set(echoed) | told  # nothing lost
    twice = {t: ids for t, ids in echoed.items() if len(ids) > 1}
    assert not twice  # nothing answered twice
    per_user = defaultdict(list)
    for said in told:
        per_user[said[:4]].append(said)
    # A user has one turn in flight at a time: the kill cut off at most one per user.
    assert all(len(cut) == 1 for cut in per_user.values()), per_user
    for chat, said in order.items():
        assert said == sorted(said), f"user {chat}: answers out of order"
    logs = "".join(w.log.read_text(errors="replace") for w in workers)
    for job, slot, runs, status in await _slots(db_url):
        assert runs == 1 and status == "ok", (job, slot, runs, status)
    # Whether another worker fired the same slot is up to timing (APScheduler's shared job
    # store moves a job's next run once one worker took it): counted, not asserted.
    skipped = logs.count("already taken, skipping")
    print(
        f"\n{proxy.retried} deliveries retried at another worker; {len(told)} users told; "
        f"{skipped} slot(s) another worker had already taken"
    )
