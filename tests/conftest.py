"""Shared fixtures: a loopback OpenAI-compatible server, settings on tmp folders, a live core."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# The int8 embedding model is converted once per test run, never into the home folder.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="personabot-test-cache-")

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.collecting import CollectingAdapter
from bot.app import build_core
from bot.config import Settings
from bot.core import Core
from bot.messages import SpaceKind, Who
from storage.lance_location import LanceLocation
from tests.support.fake_openai import FakeOpenAI
from tests.support.s3 import CREDENTIALS, MotoServer

atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)


def make_settings(data_dir: Path, api_base: str, **overrides: Any) -> Settings:
    """Settings pointing at a tmp data dir and the loopback model server."""
    llm = {
        "model": "openai/test-model",
        "api_base": api_base,
        "retries": 1,
        "backoff_s": 0.01,
        "timeout_s": 2,
        **overrides.pop("llm", {}),
    }
    # Background extraction sends its own model calls; tests that want it turn it on.
    memory = {"extraction": False, **overrides.pop("memory", {})}
    # Offline speech whatever the environment holds; transcription through the loopback server.
    voice = {
        "provider": "offline",
        "stt_model": "openai/whisper-1",
        "stt_api_base": api_base,
        **overrides.pop("voice", {}),
    }
    return Settings.model_validate(
        {"data_dir": str(data_dir), "llm": llm, "memory": memory, "voice": voice, **overrides}
    )


def who(
    user: str,
    space: str = "local",
    kind: SpaceKind = "console",
    *,
    admin: bool = False,
    platform: str = "console",
) -> Who:
    """An identity as an adapter would build it."""
    return Who(platform, user, user.title(), space, kind, admin)


ROOT_ADMIN = {"console": ["root"]}
# PostgreSQL runs: the storage, memory and scheduler tests run again on a fresh database of
# this server (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432); .ci/run sets it.
PG_ENV = "PERSONABOT_TEST_PG"
PG_DIRS = ("tests/storage/", "tests/bot/memory/", "tests/bot/jobs/", "tests/bot/test_budgets")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses a database runs on SQLite; those in PG_DIRS on PostgreSQL too."""
    if "db_url" not in metafunc.fixturenames:
        return
    for mark in metafunc.definition.iter_markers("parametrize"):
        if "db_url" in str(mark.args[0]):
            return  # the test names its databases itself
    path = Path(str(metafunc.module.__file__)).as_posix()
    # A developer's sweep: every test that takes a database runs on both (tests that read the
    # SQLite file itself can't pass on PostgreSQL).
    everywhere = os.environ.get("PERSONABOT_TEST_PG_ALL") == "1"
    twice = everywhere or any(f"/{d}" in path for d in PG_DIRS)
    metafunc.parametrize(
        "db_url", ["sqlite", "postgresql"] if twice else ["sqlite"], indirect=True
    )


def _pg_admin(base: str, sql: str) -> None:
    """Run one statement on the server's maintenance database (outside the test's loop)."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    import asyncpg

    dsn = base.replace("postgresql+asyncpg://", "postgresql://").rstrip("/") + "/postgres"

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(run())).result()


@pytest.fixture
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database for one test: a SQLite file, or a fresh PostgreSQL database dropped after."""
    if getattr(request, "param", "sqlite") == "sqlite":  # the file settings use by default
        yield f"sqlite+aiosqlite:///{tmp_path / 'data' / 'personabot.db'}"
        return
    base = os.environ.get(PG_ENV, "")
    if not base:
        pytest.skip(
            f"the PostgreSQL run: set {PG_ENV}=postgresql+asyncpg://postgres@127.0.0.1:5432 "
            "(a server that lets this user create databases), as .ci/run does"
        )
    name = f"pb_test_{uuid.uuid4().hex[:12]}"
    _pg_admin(base, f'CREATE DATABASE "{name}"')  # fails loudly when the server is unreachable
    try:
        yield f"{base.rstrip('/')}/{name}"
    finally:
        _pg_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def moto() -> Iterator[MotoServer]:
    """The loopback S3-compatible server, one for the whole run."""
    server = MotoServer.start()
    yield server
    server.stop()


@pytest.fixture
def s3_root(moto: MotoServer, monkeypatch: pytest.MonkeyPatch) -> LanceLocation:
    """A shared LanceDB root in a fresh bucket; the credentials are in the environment."""
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    return moto.location()


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def settings(
    request: pytest.FixtureRequest, tmp_path: Path, fake_llm: FakeOpenAI, db_url: str
) -> Settings:
    """Settings for one test; `indirect` parametrization adds config sections, e.g.
    {"budgets": {"messages_per_minute": 3}}. The database is `db_url`'s."""
    pg = {"database_url": db_url} if db_url.startswith("postgresql") else {}
    extra = {**pg, **getattr(request, "param", {})}
    return make_settings(tmp_path / "data", fake_llm.base_url, **{"admins": ROOT_ADMIN, **extra})


@pytest.fixture
async def core(settings: Settings) -> AsyncIterator[Core]:
    core = build_core(settings)
    await core.start()
    yield core
    await core.close()


@pytest.fixture
def user(core: Core) -> Callable[..., CollectingAdapter]:
    """Make a collecting adapter: user("alice"), user("bob", space="g1", kind="group")."""

    def make(
        name: str, space: str = "local", kind: SpaceKind = "console", **kw: Any
    ) -> CollectingAdapter:
        stream = kw.pop("stream", True)
        return CollectingAdapter(core, who(name, space, kind, **kw), stream=stream)

    return make
