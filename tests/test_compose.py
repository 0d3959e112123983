"""compose.yaml, read as Compose would (no Docker engine runs here): every worker's settings
load, the Discord shards are split exactly, the Telegram workers sit behind the proxy, and every
worker waits for a healthy PostgreSQL and reports its own health."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = {"POSTGRES_PASSWORD": "pw", "DISCORD_TOKEN": "d", "TELEGRAM_TOKEN": "t",
          "TELEGRAM_WEBHOOK_SECRET": "s", "BOT_DOMAIN": "bot.example.org",
          "MINIO_ROOT_USER": "mu", "MINIO_ROOT_PASSWORD": "mp"}  # fmt: skip


def _services() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text())["services"])


def _settings(env: dict[str, str]) -> Settings:
    filled = {
        k: re.sub(r"\$\{(\w+)\}", lambda m: SAMPLE[m.group(1)], str(v)) for k, v in env.items()
    }
    return load_settings(ROOT / "config.yaml", filled)


def test_every_worker_loads_its_settings_and_waits_for_a_healthy_database() -> None:
    services = _services()
    workers = {n: s for n, s in services.items() if n.startswith(("discord-", "telegram-"))}
    assert set(workers) == {"discord-0", "discord-1", "telegram-0", "telegram-1"}
    for name, service in workers.items():
        settings = _settings(service["environment"])
        assert settings.db_url.startswith("postgresql+asyncpg://personabot:pw@postgres:5432/")
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["healthcheck"]["test"] == ["CMD", "personabot", "health"]
        assert "personabot-data:/data" in service["volumes"], name  # the Dockerfile's data dir
        assert service["depends_on"]["bucket"]["condition"] == "service_completed_successfully"
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_every_worker_shares_the_vector_tables_on_minio_with_credentials_from_env() -> None:
    services = _services()
    for name in ("discord-0", "discord-1", "telegram-0", "telegram-1"):
        env = services[name]["environment"]
        where = _settings(env).vectors_location
        assert where.uri == "s3://personabot/lance" and where.shared and where.remote, name
        assert where.options["aws_endpoint"] == "http://minio:9000"
        assert env["AWS_SECRET_ACCESS_KEY"] == "${MINIO_ROOT_PASSWORD}"  # from the environment
    bucket = " ".join(services["bucket"]["command"])
    assert "mc mb --ignore-existing store/personabot" in bucket
    assert services["minio"]["healthcheck"]["test"][:2] == ["CMD", "mc"]


def test_the_shards_are_split_exactly_and_telegram_sits_behind_the_proxy() -> None:
    services = _services()
    shards: list[int] = []
    for name in ("discord-0", "discord-1"):
        discord = _settings(services[name]["environment"]).adapters.discord
        assert discord.shard_count == 2
        shards += discord.shard_ids
    assert sorted(shards) == [0, 1]
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    for name in ("telegram-0", "telegram-1"):
        telegram = _settings(services[name]["environment"]).adapters.telegram
        assert telegram.webhook_url == "https://bot.example.org/" and telegram.listen == "0.0.0.0"
        assert f"{name}:{telegram.port}" in caddy
        assert services[name]["environment"]["PERSONABOT__ADAPTERS__DISCORD__ENABLED"] == "false"
    assert "/telegram" in caddy  # the path the adapter serves its webhook on
