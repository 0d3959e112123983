"""Voice on the console: spoken replies saved as files, samples read from the user's disk."""

from __future__ import annotations

import io
from pathlib import Path

from adapters.console import ConsoleAdapter
from bot.core import Core


async def test_spoken_replies_are_saved_and_their_path_printed(core: Core) -> None:
    out = io.StringIO()
    console = ConsoleAdapter(
        core, "alice", stdin=io.StringIO("/voice on\nhello\n"), stdout=out, interactive=False
    )
    await console.run()
    lines = out.getvalue().splitlines()
    assert lines[0] == "Replies here will be spoken too."
    assert lines[1] == "Assistant: echo: hello"
    saved = Path(lines[2].removeprefix("saved "))
    assert saved.parent == core.settings.data_dir / "voice"
    assert saved.read_bytes()[:4] == b"OggS"


async def test_upload_reads_the_named_file_or_says_why_not(core: Core, tmp_path: Path) -> None:
    sample = tmp_path / "me.wav"
    sample.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt " + b"\x00" * 64)
    script = (
        '/persona create luna prompt="You are Luna."\n'
        f"/voice upload sample={tmp_path / 'missing.wav'}\n"
        f"/voice upload sample={sample}\n"
    )
    out = io.StringIO()
    console = ConsoleAdapter(
        core, "alice", stdin=io.StringIO(script), stdout=out, interactive=False
    )
    await console.run()
    lines = out.getvalue().splitlines()
    assert lines[1] == f"! can't read {tmp_path / 'missing.wav'}: No such file or directory"
    assert lines[2] == "! voice cloning needs ElevenLabs: set ELEVENLABS_API_KEY"


async def test_a_voice_failure_note_shows_after_a_streamed_reply(core: Core) -> None:
    """The interactive console streams the reply; the note added after it must still show."""
    out = io.StringIO()
    console = ConsoleAdapter(core, "alice", stdout=out, interactive=True)
    await console.handle('/persona create luna prompt="You are Luna." voice=zz+f9')
    await console.handle("/voice on")
    await console.handle("hello")
    shown = out.getvalue()
    assert "Luna: echo: hello" in shown
    assert "(no voice this time: eSpeak has no voice 'zz+f9')" in shown
