"""The environment a test runs `python -m bot` in, as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.fake_telegram import TOKEN

ROOT = Path(__file__).resolve().parents[2]


def bot_env(data_dir: Path, api_base: str = "", **settings: str) -> dict[str, str]:
    """The repository's config.yaml, a data folder of the test's own, the loopback model when
    `api_base` is given, and any further settings as PERSONABOT__<KEY> (e.g. log_level)."""
    env = {
        **os.environ,
        "PERSONABOT_CONFIG": str(ROOT / "config.yaml"),
        "PERSONABOT__DATA_DIR": str(data_dir),
    }
    if api_base:
        env["PERSONABOT__LLM__MODEL"] = "openai/test-model"
        env["PERSONABOT__LLM__API_BASE"] = api_base
    env.update({f"PERSONABOT__{key.upper()}": value for key, value in settings.items()})
    return env


def webhook_env(
    data_dir: Path, api_base: str, bot_api: str, port: int, secret: str, **settings: str
) -> dict[str, str]:
    """bot_env for a Telegram webhook worker on 127.0.0.1:`port` against the loopback Bot API
    at `bot_api` (its token and the webhook's secret in the environment)."""
    env = bot_env(
        data_dir,
        api_base,
        adapters__telegram__base_url=f"{bot_api}/bot",
        adapters__telegram__base_file_url=f"{bot_api}/file/bot",
        adapters__telegram__webhook_url=f"http://127.0.0.1:{port}",
        adapters__telegram__listen="127.0.0.1",
        adapters__telegram__port=str(port),
        **settings,
    )
    return env | {"TELEGRAM_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": secret}


def start_bot(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m bot` in this repository with `env`, its log appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
