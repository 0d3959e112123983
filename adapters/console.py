"""The console adapter: a terminal chat, or line-by-line processing of piped input."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import mimetypes
import re
import signal
import sys
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any, TextIO

from bot.commands.spec import CommandSpec
from bot.core import Core
from bot.dispatch import OOPS
from bot.messages import Attachment, CommandCall, Reply, Who
from bot.threads import in_daemon_thread

log = logging.getLogger(__name__)

QUIT = {"/quit", "/exit"}
# Terminal control sequences and other control characters a name or reply could smuggle in
# (colours, cursor moves, a cleared screen); newlines and tabs stay.
CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """Text as it is safe to print on a terminal."""
    return CONTROL.sub("", text)


YES = {"y", "yes"}


class ConsoleAdapter:
    """Reads lines; `/…` is a command, anything else a turn with the active persona."""

    name = "console"

    def __init__(
        self,
        core: Core,
        user: str,
        *,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        loading: asyncio.Future[None] | None = None,
    ) -> None:
        self.core = core
        # The model warming up in the background: a person at the terminal is told it is.
        self.loading = loading
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        reconfigure = getattr(self.stdin, "reconfigure", None)
        if reconfigure is not None:  # bytes that aren't UTF-8 become U+FFFD, not a crash
            reconfigure(errors="replace")
        if self.interactive:
            # Line editing and history for input(); without it the prompt goes to stderr.
            with contextlib.suppress(ImportError):
                import readline  # noqa: F401
        self.who = Who("console", user, user, "local", "console")
        self._streamed = False
        self._said = ""  # what streamed for the current reply
        self._counter = itertools.count(1)

    def _write(self, text: str) -> None:
        self.stdout.write(shown(text))
        self.stdout.flush()

    async def _read(self, prompt: str = "") -> str | None:
        if self.interactive:
            try:
                return await in_daemon_thread(input, prompt)
            except EOFError:
                return None
        line = await in_daemon_thread(self.stdin.readline)
        return line.rstrip("\n") if line else None

    async def _chunk(self, text: str) -> None:
        if not self.interactive:
            return  # piped output prints whole replies, one per line
        if not self._streamed:
            look = await self.core.active_look(self.who)
            self._write(f"{look.display_name}: ")
            self._streamed = True
        self._said += text
        self._write(text)

    def _save(self, reply: Reply) -> None:
        for att in reply.attachments:
            if not att.data:
                continue
            if att.content_type.startswith("audio/"):  # spoken replies: one file each
                folder = self.core.settings.data_dir / "voice"
                name = f"{time.strftime('%Y%m%d-%H%M%S')}-{next(self._counter)}-{att.filename}"
            else:  # one folder per console user: two users' exports never overwrite
                user = re.sub(r"[^\w.-]", "_", self.who.user_ref) or "_"
                kind = "pictures" if att.inline else "exports"  # a card PNG shares the name
                folder = self.core.settings.data_dir / kind / user
                name = Path(att.filename).name
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_bytes(att.data)
            self._write(f"{'picture:' if att.inline else 'saved'} {path}\n")

    def _local_files(self, line: str) -> tuple[tuple[Attachment, ...], str]:
        """Files named by `file` options (e.g. /voice upload sample=~/me.mp3): this user's own.
        Returns the files, or why one can't be read."""
        out = []
        for path_text in self.core.file_options(line):
            path = Path(path_text).expanduser()
            try:
                data = path.read_bytes()
            except OSError as exc:
                return (), f"can't read {path}: {exc.strerror}"
            kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            out.append(Attachment(path.name, kind, data))
        return tuple(out), ""

    async def _progress(self, text: str) -> None:
        """Long work (indexing a document) reports a line as it goes."""
        self._write(f"… {text}\n")

    def render(self, reply: Reply) -> None:
        """Print a reply: `Name: text` for persona speech, `! text` for errors."""
        self._render(reply)
        self._save(reply)

    def _render(self, reply: Reply) -> None:
        if self._streamed:
            if reply.error:
                self._write(f"\n! {reply.text}\n")
                return
            # A note added after the stream (e.g. "no voice this time") still shows.
            said = self._said.strip()
            extra = reply.text[len(said) :] if reply.text.startswith(said) else ""
            self._write(f"{extra.rstrip()}\n" if extra.strip() else "\n")
            return
        if reply.error:
            self._write(f"! {reply.text}\n")
        elif reply.persona is not None:
            self._write(f"{reply.persona.display_name}: {reply.text}\n")
            if reply.versions is not None and reply.versions.total > 1:
                v = reply.versions
                self._write(f"  (version {v.shown}/{v.total}: /swipe [n], /regen)\n")
        else:
            self._write(reply.text + "\n")

    async def _confirm(self, reply: Reply) -> None:
        assert reply.confirm is not None
        answer = await self._read("[yes/no] ") if self.interactive else await self._read()
        if not self.interactive:
            self._write("[yes/no] " + (answer or "") + "\n")
        accept = (answer or "").strip().lower() in YES
        self.render(await self.core.confirm(reply.confirm.token, self.who, accept))

    async def handle(self, line: str) -> None:
        """Process one input line and print what comes back."""
        self._streamed = False
        self._said = ""
        files, problem = self._local_files(line)
        if problem:
            self.render(Reply(text=problem, error=True))
            return
        wizard = self.core.wizard_for(line)
        if wizard is not None:
            await self._wizard(wizard)
            return
        picker = self.core.bare_picker(line)
        if picker is not None:  # e.g. a bare /persona switch: choose from a numbered list
            await self._pick(*picker)
            return
        if self._still_loading() and not line.lstrip().startswith("/"):
            self._write("(the model is still loading; the first reply takes a few seconds)\n")
        reply = await self._stoppable(
            self.core.handle_text(self.who, line, self._chunk, files, self._progress)
        )
        self.render(reply)
        self._streamed = False
        if reply.confirm is not None:
            await self._confirm(reply)

    async def _stoppable(self, work: Coroutine[Any, Any, Reply]) -> Reply:
        """At a terminal, Ctrl-C while a reply is written stops it (what was written stays)
        and returns to the prompt; before the model writes, it abandons the turn."""
        if not self.interactive or threading.current_thread() is not threading.main_thread():
            return await work
        task = asyncio.ensure_future(work)
        loop = asyncio.get_running_loop()

        def interrupt() -> None:
            if not self.core.stop(self.who):
                task.cancel()

        previous = signal.signal(signal.SIGINT, lambda *_: loop.call_soon_threadsafe(interrupt))
        try:
            return await task
        except asyncio.CancelledError:
            if not task.cancelled():
                raise  # the console itself is being cancelled
            return Reply(text="(stopped)")
        finally:
            signal.signal(signal.SIGINT, previous)

    async def _ask(self, question: str) -> str | None:
        if self.interactive:
            return await self._read(f"{question} ")
        self._write(f"{question}\n")  # piped: the question shows in the transcript
        return await self._read()

    async def _pick(self, path: tuple[str, ...], param: str, question: str) -> None:
        """A declared picker: the personas this user may use, numbered; a number or name runs
        the command with it, an empty line cancels."""
        looks = await self.core.persona_choices(self.who, "", limit=50)
        for n, look in enumerate(looks, 1):
            self._write(f"  {n}. {look.display_name} ({look.name})\n")
        asked = await self._ask(f"{question} (number or name; empty to cancel)")
        answer = (asked or "").strip()
        if not answer:
            self._write("Cancelled — nothing was changed.\n")
            return
        names = [look.name for look in looks]
        numbered = answer.isdigit() and 0 < int(answer) <= len(names)
        chosen = names[int(answer) - 1] if numbered else answer
        self.render(await self.core.command(CommandCall(self.who, path, {param: chosen})))

    async def _wizard(self, spec: CommandSpec) -> None:
        """A declared wizard (e.g. /persona new), one question per line; /cancel stops it."""
        assert spec.wizard is not None
        draft: dict[str, str] = {}
        for step in spec.wizard.steps:
            names = [n for n, _ in self.core.template_choices()] if step.pick else []
            question = step.ask
            if names:
                question += f" ({', '.join(names)}; empty for none)"
            elif step.optional:
                question += " (empty to skip)"
            while True:
                answer = await self._ask(question)
                if answer is None or answer.strip() == "/cancel":
                    self._write("Cancelled — nothing was created.\n")
                    return
                value = answer.strip()
                if not value and (step.optional or step.pick):
                    break
                problem = (
                    None
                    if value in names
                    else f"pick one of: {', '.join(names)}"
                    if names
                    else self.core.problem(step.param, value)
                )
                if problem is None:
                    draft[step.param] = value
                    break
                self._write(f"! {problem}\n")
        summary = "; ".join(f"{k}: {v[:80]}" for k, v in draft.items())
        answer = await self._ask(f"{spec.wizard.summary} {summary} [yes/no]")
        if (answer or "").strip().lower() not in YES:
            self._write("Cancelled — nothing was created.\n")
            return
        self.render(await self.core.command(CommandCall(self.who, spec.path, draft)))

    async def deliver(self, user_ref: str, text: str) -> None:
        """A message from the core to the person at this terminal (a farewell)."""
        if user_ref != self.who.user_ref:
            raise LookupError("that user is not at this terminal")
        self._write(text + "\n")

    def _still_loading(self) -> bool:
        return self.interactive and self.loading is not None and not self.loading.done()

    async def run(self) -> None:
        """Until end of input, /quit, or cancellation (Ctrl-C)."""
        try:
            await self._loop()
        except asyncio.CancelledError:
            if self.interactive:
                self._write("\n")
            raise

    async def _loop(self) -> None:
        if self.interactive:
            look = await self.core.active_look(self.who)
            self._write(
                f"personabot — chatting with {look.display_name} as {self.who.user_name}. "
                "/help lists commands, /quit leaves.\n"
            )
            if self._still_loading():
                self._write("(loading the model in the background…)\n")
        while True:
            prompt = ""
            if self.interactive:
                prompt = f"[{(await self.core.active_look(self.who)).name}] you> "
            line = await self._read(prompt)
            if line is None or line.strip() in QUIT:
                break
            if not line.strip():
                continue
            try:
                await self.handle(line)
            except Exception:  # a fault of this adapter (the core answers its own): keep going
                log.exception("console: failed to handle a line")
                self.render(Reply(text=OOPS, error=True))
