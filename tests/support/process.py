"""The environment a test runs `python -m bot` in, as a real process."""

from __future__ import annotations

import os
from pathlib import Path

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
