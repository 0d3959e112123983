"""The console adapter as a real subprocess with piped stdin against the loopback model server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.core import Core
from tests.support.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]


def run_console(
    lines: list[str], env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PERSONABOT_CONFIG": str(ROOT / "config.yaml"), **env},
    )


@pytest.mark.parametrize("stream", ["true", "false"])
def test_piped_session(tmp_path: Path, fake_llm: FakeOpenAI, stream: str) -> None:
    env = {
        "PERSONABOT__DATA_DIR": str(tmp_path),
        "PERSONABOT__LLM__MODEL": "openai/test-model",
        "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
        "PERSONABOT__LLM__STREAM": stream,
    }
    proc = run_console(
        [
            "hello there",
            '/persona create luna prompt="You are Luna, a moon spirit." greeting="Hi, I am Luna."',
            "how are you?",
            "/persona switch luna",
            "/memory wipe",
            "yes",
            "/memory list",
            "/persona edit assistant bio=x",
        ],
        env,
        "console",
        "--user",
        "alice",
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    assert out[0] == "Assistant: echo: hello there"
    assert out[1] == "Created Luna (luna), private to you. You are now talking to it."
    assert out[2:4] == ["", "Luna: Hi, I am Luna."]  # its greeting, at once
    assert out[4] == "Luna: echo: how are you?"
    assert out[5] == "Luna: Hi, I am Luna."
    assert out[6].startswith("Delete all 2 messages and 1 memories between you and Luna?")
    assert out[7] == "[yes/no] yes"
    assert out[8] == "Deleted 2 messages and 1 memories with Luna."
    assert out[9] == "Luna has no memories of you yet."
    assert out[10] == "! 'assistant' is a preset — admins change presets with /preset edit"
    assert len(out) == 11
    bodies = fake_llm.chat_requests
    assert len(bodies) == 2
    assert all(bool(b.get("stream")) is (stream == "true") for b in bodies)
    assert bodies[1]["messages"][0]["content"].startswith("You are Luna, a moon spirit.")
    assert {"role": "user", "content": "how are you?"} in bodies[1]["messages"]
    # Luna's prompt never carries the chat held with Assistant.
    assert all("hello there" not in m["content"] for m in bodies[1]["messages"])


def test_chats_and_the_summary_on_the_console(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    env = {
        "PERSONABOT__DATA_DIR": str(tmp_path),
        "PERSONABOT__LLM__MODEL": "openai/test-model",
        "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
        "PERSONABOT__LIMITS__RECENT_TURNS": "4",
        "PERSONABOT__MEMORY__SUMMARY_EVERY": "2",
    }
    lines = ["my cat is called Miso", "/chat new trip", "where to in June?", "/chat list"]
    # /chat summary brings the summary up to date before the next line is read.
    lines += ["/chat switch 1", "chat a", "chat b", "/chat summary", "what is my cat called?"]
    proc = run_console(lines, env, "console", "--user", "ann")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "New chat “trip” with Assistant (chat 2)" in out
    assert "▶ 2. trip — 2 messages" in out and "Now in chat 1" in out
    june = [r for r in fake_llm.chat_requests if _asks(r, "where to in June?")][-1]
    assert all("Miso" not in m["content"] for m in june["messages"][1:])  # not its transcript
    assert "Miso" in june["messages"][0]["content"]  # … but remembered
    cat = [r for r in fake_llm.chat_requests if _asks(r, "what is my cat")][-1]
    assert all("Miso" not in m["content"] for m in cat["messages"][1:])  # left the window …
    assert "Summary of your conversation with ann" in cat["messages"][0]["content"]
    assert "Miso" in out.split("Summary of the", 1)[1]  # … and /chat summary shows it


def test_a_card_is_imported_from_a_path_and_exported_to_a_file(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    import json

    from tests.support.cards import FORMATS, b64, card_png, v2_card

    card = tmp_path / "Seraphina card.png"
    card.write_bytes(card_png({"chara": b64(v2_card())}))
    env = {
        "PERSONABOT__DATA_DIR": str(tmp_path / "data"),
        "PERSONABOT__LLM__MODEL": "openai/test-model",
        "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
    }
    others = []
    for kind, (name, _, raw, _) in sorted(FORMATS.items()):  # every format, by path
        path = tmp_path / f"{kind}-{name}"
        path.write_bytes(raw)
        others.append(f"/persona import {path} name={kind}")
    lines = [*others, f'/persona import "{card}"', "hello"]
    lines.append("/persona export seraphina format=json")
    lines.append(f"/persona import {tmp_path / 'missing.png'}")
    proc = run_console(lines, env, "console", "--user", "ann")
    assert proc.returncode == 0, proc.stderr
    assert "Imported Seraphina (seraphina) from a V2 card" in proc.stdout
    for kind, (_, _, _, version) in FORMATS.items():
        assert f"Imported Seraphina ({kind}) from a {version} card" in proc.stdout
    assert "forest guardian" in fake_llm.chat_requests[-1]["messages"][0]["content"]
    saved = [line.split("saved ", 1)[1] for line in proc.stdout.splitlines() if "saved " in line]
    assert len(saved) == 1 and saved[0].endswith("seraphina.json")
    exported = json.loads(Path(saved[0]).read_text())
    assert exported["data"]["extensions"] == v2_card()["data"]["extensions"]
    assert "can't read" in proc.stdout and "missing.png" in proc.stdout


def test_an_image_path_given_to_edit_is_the_avatar_and_show_prints_its_path(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    import io

    from PIL import Image

    picture = tmp_path / "face.txt"  # the name says text; the bytes say WebP
    out = io.BytesIO()
    Image.new("RGB", (30, 40), (5, 6, 7)).save(out, "WEBP", lossless=True)
    picture.write_bytes(out.getvalue())
    env = {"PERSONABOT__DATA_DIR": str(tmp_path / "data")}
    lines = [
        '/persona create bard prompt="A bard."',
        f"/persona edit bard image={picture}",
        "/persona show bard",
        "/persona export bard",
    ]
    proc = run_console(lines, env, "console", "--user", "ann")
    assert proc.returncode == 0, proc.stderr
    assert "Updated Bard: avatar image." in proc.stdout
    (shown,) = [x.split(" ", 1)[1] for x in proc.stdout.splitlines() if x.startswith("picture:")]
    assert shown.endswith("bard.webp") and Path(shown).read_bytes() == picture.read_bytes()
    (card,) = [x.split(" ", 1)[1] for x in proc.stdout.splitlines() if x.startswith("saved ")]
    assert card.endswith("bard.png") and Path(card).parent != Path(shown).parent
    with Image.open(card) as exported:
        assert exported.size == (30, 40)  # the picture, not the 400×600 placeholder


def test_console_user_is_remembered_across_runs(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    env = {
        "PERSONABOT__DATA_DIR": str(tmp_path),
        "PERSONABOT__LLM__MODEL": "openai/test-model",
        "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
    }
    run_console(["/persona switch tutor", "my name is Ann"], env, "console", "--user", "ann")
    proc = run_console(["what is my name?"], env, "console", "--user", "ann")
    assert proc.stdout.splitlines() == ["Tutor Ada: echo: what is my name?"]
    contents = [m["content"] for m in fake_llm.chat_requests[-1]["messages"]]
    assert "my name is Ann" in contents
    other = run_console(["/memory list"], env, "console", "--user", "bob")
    assert "no memories" in other.stdout


def test_console_admins_come_from_config(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    env = {
        "PERSONABOT__DATA_DIR": str(tmp_path),
        "PERSONABOT__ADMINS__CONSOLE": "[root]",
        "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
    }
    refused = run_console(["/preset disable coder"], env, "console", "--user", "alice")
    assert refused.stdout.startswith("! only bot admins")
    done = run_console(["/preset disable coder"], env, "console", "--user", "root")
    assert done.stdout.strip() == "Disabled preset coder."


class Terminal:
    """The bot's console in a real pseudo-terminal (stdin and stdout are a TTY)."""

    def __init__(self, tmp_path: Path, fake_llm: FakeOpenAI) -> None:
        import pty

        self.master, slave = pty.openpty()
        env = {
            **os.environ,
            "PERSONABOT_CONFIG": str(ROOT / "config.yaml"),
            "PERSONABOT__DATA_DIR": str(tmp_path),
            "PERSONABOT__LLM__MODEL": "openai/test-model",
            "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "console", "--user", "alice"],
            cwd=ROOT,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=subprocess.PIPE,
        )
        os.close(slave)
        self.seen = b""

    def read_until(self, marker: bytes, timeout: float = 60) -> None:
        import select
        import time

        end = time.monotonic() + timeout
        while marker not in self.seen and time.monotonic() < end:
            ready, _, _ = select.select([self.master], [], [], 0.2)
            if ready:
                self.seen += os.read(self.master, 4096)
        assert marker in self.seen, self.seen.decode(errors="replace")

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def close(self) -> None:
        self.proc.kill()
        os.close(self.master)


def test_interactive_terminal_session(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    """Prompt shows the persona, the reply streams in, /quit leaves."""
    term = Terminal(tmp_path, fake_llm)
    try:
        term.read_until(b"[assistant] you> ")
        assert b"chatting with Assistant as alice" in term.seen
        term.type("hi")
        term.read_until(b"Assistant: echo: hi")
        term.type("/persona switch coder")
        term.read_until(b"[coder] you> ")
        term.type("/quit")
        assert term.proc.wait(timeout=30) == 0
        assert term.proc.stderr is not None
        said = term.proc.stderr.read().decode()
        # Never a blank terminal while the stack loads: it says what it is doing first.
        assert said.index("personabot: starting…") < said.index("opening the database")
        assert (tmp_path / "personabot.log").exists()  # warnings go there, not into the chat
    finally:
        term.close()


def test_ctrl_c_at_the_prompt_exits_cleanly(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    import signal

    term = Terminal(tmp_path, fake_llm)
    try:
        term.read_until(b"[assistant] you> ")
        term.proc.send_signal(signal.SIGINT)  # what Ctrl-C delivers
        assert term.proc.wait(timeout=15) == 0  # not stuck waiting for the blocked input()
        assert term.proc.stderr is not None
        assert b"Traceback" not in term.proc.stderr.read()
    finally:
        term.close()


def test_personabot_script_does_what_python_m_bot_does(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    script = Path(sys.executable).parent / "personabot"
    assert script.exists(), "pip install -e . creates the personabot console script"
    env = {
        **os.environ,
        "PERSONABOT_CONFIG": str(ROOT / "config.yaml"),
        "PERSONABOT__DATA_DIR": str(tmp_path),
        "PERSONABOT__LLM__MODEL": "openai/test-model",
        "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
    }
    proc = subprocess.run(
        [str(script), "console", "--user", "zed"],
        input="hey\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "Assistant: echo: hey\n"


def _asks(request: dict[str, Any], text: str) -> bool:
    """Is this the request of a turn whose message starts with `text`?"""
    said = [m["content"] for m in request["messages"] if m["role"] == "user"]
    return bool(said) and str(said[-1]).startswith(text)


def test_memory_survives_sessions_and_reindex_rebuilds_it(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    import shutil

    env = {
        "PERSONABOT__DATA_DIR": str(tmp_path),
        "PERSONABOT__LLM__MODEL": "openai/test-model",
        "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
        "PERSONABOT__LIMITS__RECENT_TURNS": "2",
        "PERSONABOT__MEMORY__SUMMARIES": "false",  # only recall brings the first message back
    }
    run_console(
        ["I am training for the Berlin marathon", "ok", "ok"], env, "console", "--user", "ann"
    )
    shutil.rmtree(tmp_path / "lancedb")  # the index is lost; SQL still has everything
    rebuilt = run_console([], env, "memory", "reindex")
    assert rebuilt.returncode == 0 and rebuilt.stdout.startswith("reindexed 3 memories")
    proc = run_console(["which race am I training for?"], env, "console", "--user", "ann")
    assert proc.returncode == 0
    assert "Berlin marathon" in fake_llm.chat_requests[-1]["messages"][0]["content"]
    other = run_console(["which race am I training for?"], env, "console", "--user", "bob")
    assert other.returncode == 0
    assert "Berlin marathon" not in fake_llm.chat_requests[-1]["messages"][0]["content"]


async def test_a_turn_while_the_model_loads_says_so(core: Core) -> None:
    """A person at the terminal who types before warm-up ends is told why it is slow."""
    import asyncio
    import io

    from adapters.console import ConsoleAdapter

    out = io.StringIO()
    loading: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    console = ConsoleAdapter(core, "alice", stdout=out, interactive=True, loading=loading)
    await console.handle("/persona list")  # commands don't wait for the model: no note
    assert "still loading" not in out.getvalue()
    await console.handle("hello")
    assert "(the model is still loading" in out.getvalue()
    assert out.getvalue().rstrip().endswith("Assistant: echo: hello")
    loading.set_result(None)
    out.truncate(0)
    await console.handle("again")
    assert "still loading" not in out.getvalue()


async def test_the_persona_wizard_runs_on_the_console_too(core: Core) -> None:
    """The declared /persona new steps, one line each: checked as typed, confirmed at the end."""
    import io

    from adapters.console import ConsoleAdapter

    answers = (
        "/persona new\nx\nNova\nnobody\n\nYou are Nova.\n\n\nyes\n"  # made, skipping two
        "/persona_new\nLuna\n/cancel\n"  # stopped half-way
    )
    out = io.StringIO()
    console = ConsoleAdapter(
        core, "alice", stdin=io.StringIO(answers), stdout=out, interactive=False
    )
    await console.run()
    lines = out.getvalue().splitlines()
    assert lines[0] == "Let's create a persona. What's its name?"
    assert lines[1].startswith("! persona name must be at least 2 characters")
    assert lines[3].startswith("Start from a template? (") and "empty for none" in lines[3]
    assert lines[4].startswith("! pick one of: ")  # "nobody" is not a template
    assert lines[7].endswith("(empty to skip)")  # traits
    assert lines[9].startswith("Create this persona? name: Nova; prompt: You are Nova.")
    assert lines[10] == "Created Nova (nova), private to you. You are now talking to it."
    assert lines[-1] == "Cancelled — nothing was created."
    assert [lk.name for lk in await core.persona_choices(console.who, "")].count("luna") == 0
    assert (await core.active_look(console.who)).name == "nova"


async def test_console_exports_of_two_users_never_overwrite(core: Core) -> None:
    import io

    from adapters.console import ConsoleAdapter

    saved = []
    for name in ("alice", "bob"):
        out = io.StringIO()
        console = ConsoleAdapter(
            core,
            name,
            stdin=io.StringIO(f"I am {name}\n/memory export\n"),
            stdout=out,
            interactive=False,
        )
        await console.run()
        line = next(x for x in out.getvalue().splitlines() if x.startswith("saved "))
        saved.append(Path(line.removeprefix("saved ")))
    assert saved[0] != saved[1] and saved[0].name == saved[1].name
    assert "I am alice" in saved[0].read_text() and "I am bob" in saved[1].read_text()


async def test_a_bare_switch_offers_the_personas_on_the_console(core: Core) -> None:
    """The declared picker, rendered as a numbered list: a number or a name answers it."""
    import io

    from adapters.console import ConsoleAdapter

    out = io.StringIO()
    script = "/persona switch\n2\n/persona switch\ntutor\n/persona switch\n\n"
    console = ConsoleAdapter(
        core, "alice", stdin=io.StringIO(script), stdout=out, interactive=False
    )
    await console.run()
    lines = out.getvalue().splitlines()
    listed = [x for x in lines if x.startswith("  2. ")]
    asked = "Who do you want to talk to? (number or name; empty to cancel)"
    assert listed and lines.count(asked) == 3
    second = listed[0].split("(")[-1].rstrip(")")
    assert (await core.active_look(console.who)).name == "tutor"  # the last choice, by name
    assert any(second in x for x in lines if not x.startswith("  "))  # the numbered one answered
    assert lines[-1] == "Cancelled — nothing was changed."


def test_knowledge_add_reads_a_path_prints_progress_and_the_passage_reaches_the_prompt(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    from tests.support.documents import docx

    manual = tmp_path / "ferries.bin"  # the name says nothing; the bytes are a Word document
    manual.write_bytes(
        docx([("Heading 1", "Ferries"), ("", "The night ferry to Skellig leaves at 23:40.")])
    )
    env = {
        "PERSONABOT__DATA_DIR": str(tmp_path / "data"),
        "PERSONABOT__LLM__MODEL": "openai/test-model",
        "PERSONABOT__LLM__API_BASE": fake_llm.base_url,
    }
    lines = [
        '/persona create skipper prompt="You run boats."',
        "/persona switch skipper",
        f"/knowledge add file={manual}",
        "/knowledge list",
        "when does the night ferry leave?",
    ]
    proc = run_console(lines, env, "console", "--user", "ann")
    assert proc.returncode == 0, proc.stderr
    assert "… reading ferries.bin…" in proc.stdout
    assert "Added ferries.bin for Skipper: docx" in proc.stdout
    assert "• ferries.bin — docx" in proc.stdout
    system = fake_llm.chat_requests[-1]["messages"][0]["content"]
    assert "23:40" in system and "[ferries.bin Ferries]" in system
