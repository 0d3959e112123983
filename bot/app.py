"""Wiring: build the core from settings, start the enabled adapters, shut down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sys
import time
from collections.abc import Mapping
from typing import Any

from bot import logs
from bot.config import Settings
from bot.core import Core
from bot.documents import KnowledgeDocs
from bot.errors import ConfigError
from bot.llm import LLM, is_embedded, litellm_module
from bot.memory.embeddings import make_embedder
from bot.memory.service import MemoryService
from bot.threads import in_daemon_thread
from bot.voice.providers import make_provider
from bot.voice.service import VoiceService
from storage.db import Database, head_revision
from storage.documents import DocumentRepo
from storage.knowledge_index import KnowledgeIndex
from storage.memory_repo import MemoryRepo
from storage.vectors import VectorStore

log = logging.getLogger(__name__)


def build_memory(settings: Settings, db: Database) -> MemoryService:
    """The memory service with the embedding provider and vector store config names."""
    embedder = make_embedder(
        settings.memory.embedding,
        settings.memory.embedding_api_base,
        settings.data_dir / "models",
    )
    vectors = VectorStore(settings.vectors_location, getattr(embedder, "dim", None))
    return MemoryService(MemoryRepo(db), vectors, embedder, settings.memory)


def build_documents(settings: Settings, db: Database, memory: MemoryService) -> KnowledgeDocs:
    """Persona documents, embedded by memory's model into the same LanceDB folder."""
    dim = getattr(memory.embedder, "dim", None) or 384
    index = KnowledgeIndex(settings.vectors_location, int(dim))
    return KnowledgeDocs(DocumentRepo(db), index, memory.embedder, settings.knowledge)


def build_voice(settings: Settings) -> VoiceService:
    """The voice service with the provider config (and ELEVENLABS_API_KEY) choose."""
    provider = make_provider(settings.voice)
    return VoiceService(provider, settings.voice, settings.data_dir / "voice-cache")


def build_core(settings: Settings) -> Core:
    """The core with its collaborators chosen by config."""
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)  # also when an older run made it world-readable
    for old in settings.data_dir.glob("personabot.db*"):
        old.chmod(0o600)
    db = Database(settings.db_url)
    memory = build_memory(settings, db)
    documents = build_documents(settings, db, memory) if settings.knowledge.enabled else None
    return Core(settings, db, LLM(settings.llm), memory, build_voice(settings), documents)


async def warm_up(settings: Settings) -> None:
    """Import litellm (seconds) and load the embedded model off the start-up path."""
    try:
        litellm = await in_daemon_thread(
            litellm_module, settings.llm.embedded_context, settings.llm.embedded_threads
        )
        if is_embedded(settings.llm.model):
            handler = litellm.custom_provider_map[0]["custom_handler"]
            await in_daemon_thread(handler.warm, settings.llm.model.split("/", 1)[1])
    except Exception as exc:  # a missing model is reported on the first turn, clearly
        log.warning("warm-up skipped: %s", type(exc).__name__)


def console_user(name: str | None) -> str:
    """The console user: --user, else the OS account name."""
    if name:
        return name
    try:
        return getpass.getuser()
    except Exception:
        return "console"


async def health(settings: Settings) -> int:
    """`personabot health`: 0 when the database answers at the newest schema, else 1."""
    db = Database(settings.db_url)
    try:
        current = await db.revision()
    except Exception as exc:
        print(f"personabot: database unreachable: {type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    head = head_revision()
    if current != head:
        print(f"personabot: database at {current}, expected {head}", file=sys.stderr)
        return 1
    print("ok")
    return 0


async def reindex(settings: Settings) -> int:
    """`python -m bot memory reindex`: rebuild the vector index from SQL."""
    core = build_core(settings)
    await core.db.migrate()
    assert core.memory is not None
    started = time.perf_counter()
    rows = await core.memory.reindex()
    print(f"reindexed {rows} memories in {time.perf_counter() - started:.1f}s")
    await core.close()
    return 0


def discord_sync(settings: Settings, *, dry_run: bool, guild: int | None) -> int:
    """`python -m bot discord-sync [--dry-run] [--guild ID]`."""
    from adapters.discord import sync

    if dry_run:
        text, problems = sync.dry_run(limits=settings.limits.model_dump())
        if problems:
            for problem in problems:
                print(f"personabot: {problem}", file=sys.stderr)
            return 1
        print(text)
        return 0
    token = os.environ.get("DISCORD_TOKEN", "").strip()
    if not token:
        print("personabot: DISCORD_TOKEN is not set", file=sys.stderr)
        return 2
    try:
        count = asyncio.run(sync.publish(token, settings.adapters.discord, guild))
    except ConfigError as err:
        print(f"personabot: {err}", file=sys.stderr)
        return 2
    where = f"server {guild}" if guild else "everywhere (may take a while to show)"
    print(f"synced {count} commands {where}")
    return 0


def _discord(core: Core, token: str) -> Any:
    from adapters.discord import DiscordAdapter

    return DiscordAdapter(core, token)


def _telegram(core: Core, token: str) -> Any:
    from adapters.telegram import TelegramAdapter

    return TelegramAdapter(core, token)


# platform → (token variable, adapter factory); imported only when the platform starts.
PLATFORMS = {"discord": ("DISCORD_TOKEN", _discord), "telegram": ("TELEGRAM_TOKEN", _telegram)}


def platform_adapters(core: Core, settings: Settings, environ: Mapping[str, str]) -> list[Any]:
    """The chat-platform adapters config and environment turn on."""
    adapters: list[Any] = []
    for platform, (variable, factory) in PLATFORMS.items():
        enabled = getattr(settings.adapters, platform).enabled
        token = environ.get(variable, "").strip()
        if enabled is True and not token:
            raise ConfigError(f"adapters.{platform}.enabled is true but {variable} is not set")
        if token and enabled is not False:
            adapters.append(factory(core, token))
    return adapters


async def run(settings: Settings, *, user: str | None = None, force_console: bool = False) -> int:
    """Start every enabled adapter in this event loop; returns the exit code."""
    from adapters.console import ConsoleAdapter

    core = build_core(settings)
    try:
        adapters = platform_adapters(core, settings, os.environ)
    except ConfigError as err:
        print(f"personabot: {err}", file=sys.stderr)
        return 2
    if sys.stdin.isatty():
        # Migrations, presets and the memory index take seconds on a first run: say so.
        print("personabot: opening the database and the memory index…", file=sys.stderr)
    await core.start()
    scheduler = None
    # A one-shot piped console run ends in a moment: background jobs belong to long runs.
    if settings.scheduler.enabled and (adapters or sys.stdin.isatty()):
        from bot.jobs.scheduler import Scheduler

        scheduler = Scheduler(core.jobs, settings.scheduler, settings.db_url)
        scheduler.start()
        core.jobs.scheduler = scheduler
    # Piped runs pay the import on their first turn; warming would only delay their exit.
    warm = asyncio.create_task(warm_up(settings) if sys.stdin.isatty() else asyncio.sleep(0))
    enabled = settings.adapters.console.enabled
    # auto: the console when nothing else runs, or when someone sits at this terminal.
    if (
        force_console
        or enabled is True
        or (enabled == "auto" and (not adapters or sys.stdin.isatty()))
    ):
        adapters.append(ConsoleAdapter(core, console_user(user), loading=warm))
        if sys.stdin.isatty():  # warnings would land inside the chat: they go to a file
            logs.to_file(settings.data_dir / "personabot.log")
        elif not force_console and len(adapters) == 1:
            print(
                "personabot: no DISCORD_TOKEN or TELEGRAM_TOKEN and no terminal: reading chat "
                "lines from stdin (`personabot console` does so without this note)",
                file=sys.stderr,
            )
    if not adapters:
        print("personabot: no adapter is enabled (see adapters.* in config.yaml)", file=sys.stderr)
        warm.cancel()
        await core.close()
        return 1
    for adapter in adapters:
        core.outbox.register(adapter)  # the core's farewells reach users through them
    loop = asyncio.get_running_loop()
    tasks = [asyncio.create_task(a.run(), name=a.name) for a in adapters]
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    code = 0
    for task in tasks:
        if task.done() and not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if isinstance(exc, ConfigError):
                print(f"personabot: {task.get_name()}: {exc}", file=sys.stderr)
                code = 2
            else:
                log.error("%s adapter stopped", task.get_name(), exc_info=exc)
                code = 1
    if scheduler is not None:
        scheduler.shutdown()
    for task in (*tasks, stopper, warm):
        task.cancel()
    await asyncio.gather(*tasks, stopper, warm, return_exceptions=True)
    await core.close()
    return code
