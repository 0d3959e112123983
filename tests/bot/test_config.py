"""config.yaml loading, environment overrides and one-line errors naming the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_CONFIG, load_settings
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_config_loads_with_embedded_defaults() -> None:
    s = load_settings(DEFAULT_CONFIG, environ={})
    assert s.llm.model == "embedded/smollm2-135m"
    # data_dir: data in the file means beside the file, from any working folder.
    assert s.db_url == f"sqlite+aiosqlite:///{DEFAULT_CONFIG.parent / 'data' / 'personabot.db'}"
    moved = load_settings(DEFAULT_CONFIG, environ={"PERSONABOT__DATA_DIR": "elsewhere"})
    assert moved.data_dir == Path("elsewhere")  # the environment still wins, as given


def test_every_key_in_config_yaml_has_a_comment() -> None:
    lines = DEFAULT_CONFIG.read_text().splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped and not stripped.startswith("#") and ":" in stripped:
            above = lines[i - 1].strip()
            assert above.startswith("#") or stripped.endswith(":"), f"no comment for: {line}"


def test_env_overrides_nested_keys_with_yaml_values() -> None:
    s = load_settings(
        DEFAULT_CONFIG,
        environ={
            "PERSONABOT__LLM__MODEL": "openai/gpt-4o-mini",
            "PERSONABOT__LLM__STREAM": "false",
            "PERSONABOT__LLM__FALLBACKS": "[openai/a, openai/b]",
            "PERSONABOT__DATA_DIR": "/tmp/pb",
            "PERSONABOT__ADMINS__CONSOLE": "[alice]",
        },
    )
    assert s.llm.model == "openai/gpt-4o-mini" and s.llm.stream is False
    assert s.llm.fallbacks == ["openai/a", "openai/b"]
    assert s.db_url == "sqlite+aiosqlite:////tmp/pb/personabot.db"
    assert s.admins.ids("console") == ["alice"]


def test_personabot_config_points_at_another_file(tmp_path: Path) -> None:
    other = tmp_path / "c.yaml"
    other.write_text("llm:\n  model: openai/x\n")
    s = load_settings(environ={"PERSONABOT_CONFIG": str(other)})
    assert s.llm.model == "openai/x" and s.llm.temperature == 0.7


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"PERSONABOT__LLM__TEMPERATURE": "5"},
            "llm.temperature: Input should be less than or equal to 2",
        ),
        ({"PERSONABOT__LLM__MODLE": "x"}, "llm.modle: unknown key"),
        (
            {"PERSONABOT__LIMITS__MESSAGE": "lots"},
            "limits.message: Input should be a valid integer",
        ),
        ({"PERSONABOT__LOG_LEVEL": "LOUD"}, "log_level:"),
        (
            {"PERSONABOT__MEMORY__VECTORS_OPTIONS": '{"aws_secret_access_key": "x"}'},
            "memory.vectors_options: Value error, aws_secret_access_key is a secret",
        ),
    ],
)
def test_bad_values_name_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_settings(DEFAULT_CONFIG, environ=env)


def test_startup_fails_with_one_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "PERSONABOT__LLM__TEMPERATURE": "9",
            "PERSONABOT__DATA_DIR": str(tmp_path),
        },
        input="",
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "personabot: config error: llm.temperature: "
        "Input should be less than or equal to 2 (got 9)"
    ]


def test_the_vector_store_is_shared_on_an_object_store_or_beside_postgresql() -> None:
    embedded = load_settings(DEFAULT_CONFIG, environ={}).vectors_location
    assert not embedded.shared and embedded.folder is not None
    pg = {"PERSONABOT__DATABASE_URL": "postgresql+asyncpg://u@h/db"}
    assert load_settings(DEFAULT_CONFIG, environ=pg).vectors_location.shared
    s3 = {
        "PERSONABOT__MEMORY__VECTORS_DIR": "s3://b/lance",
        "PERSONABOT__MEMORY__VECTORS_OPTIONS": '{"aws_endpoint": "http://127.0.0.1:9000"}',
    }
    where = load_settings(DEFAULT_CONFIG, environ=s3).vectors_location
    assert where.shared and where.remote and where.folder is None
    assert where.options == {"aws_endpoint": "http://127.0.0.1:9000"}
