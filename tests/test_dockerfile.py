"""The Dockerfile, read as Docker would (no engine here to build it): order matters."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    joined = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        joined += line.rstrip("\\").strip() + " "
        if line.endswith("\\"):
            continue
        word, _, rest = joined.strip().partition(" ")
        out.append((word.upper(), rest.strip()))
        joined = ""
    return out


def index(steps: list[tuple[str, str]], word: str, needle: str = "") -> int:
    return next(i for i, (w, a) in enumerate(steps) if w == word and needle in a)


def test_the_volume_comes_after_its_owner_is_set() -> None:
    steps = instructions()
    assert index(steps, "RUN", "chown personabot /data") < index(steps, "VOLUME", "/data")
    assert index(steps, "VOLUME") < index(steps, "USER", "personabot")


def test_dependencies_install_before_the_source_is_copied() -> None:
    steps = instructions()
    deps = index(steps, "RUN", "--no-install-project")
    assert index(steps, "COPY", "uv.lock") < deps
    for package in ("bot", "adapters", "storage", "personas"):
        assert deps < index(steps, "COPY", f"{package} ./{package}")
    assert "--locked" in steps[deps][1] and "--no-dev" in steps[deps][1]


def test_there_is_a_healthcheck_the_bot_answers() -> None:
    steps = instructions()
    check = steps[index(steps, "HEALTHCHECK")][1]
    assert '"personabot", "health"' in check
