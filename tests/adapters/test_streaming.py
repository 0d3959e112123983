"""The shared streaming message: when "typing…" is signalled, and previews built per chunk."""

from __future__ import annotations

import asyncio
import html
import itertools
import random

from adapters.streaming import StreamingMessage
from adapters.telegram.format import LIMIT, Preview, fit, header
from bot.messages import Look


class Recorder(StreamingMessage):
    """A platform that only records what it was asked to do."""

    typing_every_s = 0.05

    def __init__(self) -> None:
        super().__init__(interval=0.0)
        self.sent: list[str] = []

    async def _post(self, text: str) -> None:
        self.sent.append(f"post {text}")

    async def _edit(self, text: str) -> None:
        self.sent.append(f"edit {text}")

    async def _signal_typing(self) -> None:
        self.sent.append("typing")

    def _preview(self) -> str:
        return self.text


async def test_typing_once_at_the_start_then_only_while_the_model_works() -> None:
    stream = Recorder()
    stream.start_typing()
    await asyncio.sleep(0.3)  # the turn waits (storage, recall): one signal, no refresh
    assert stream.sent == ["typing"]
    await stream.working(True)
    await asyncio.sleep(0.28)
    refreshed = stream.sent.count("typing") - 1
    assert 3 <= refreshed <= 6, stream.sent
    await stream.working(False)  # the model is done; delivery may take a while
    await asyncio.sleep(0.2)
    assert stream.sent.count("typing") == refreshed + 1
    await stream.working(True)  # a retry works again…
    await stream.push("hello")  # …until text shows
    await asyncio.sleep(0.2)
    await stream.stop()
    assert stream.sent.count("typing") == refreshed + 1 and "post hello" in stream.sent


def _streamed(chunks: list[str], view: Preview) -> list[str]:
    shown = []
    for chunk in chunks:
        view.add(chunk)
        shown.append(view.render())
    return shown


def test_telegram_preview_built_chunk_by_chunk_matches_the_whole_text() -> None:
    """Escaping only the new text each time gives what escaping everything gives; past one
    message the preview is the reply's first message, cut on a boundary, and stays put."""
    rng = random.Random(7)
    look = Look("ada", "Ada & <Co>")
    head = header(look)
    alphabet = ["a", "b", " ", "\n", "&", "<", ">", "é", "word. ", "\n\n"]
    for _ in range(30):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 9000)))
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text), rng.randint(1, 60))))
        chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        shown = _streamed(chunks, Preview(look))
        final = shown[-1]
        assert final.startswith(head) and len(final) <= LIMIT
        body = final[len(head) :]
        whole = html.escape(text.strip(), quote=False)
        if len(whole) <= LIMIT - len(head) - 2:
            assert body == (whole or "…")
        else:
            assert body.endswith(" …") and text.strip().startswith(html.unescape(body[:-2]))
            assert body[:-2] == fit(text, LIMIT - len(head) - 2)[0]
        # Once the raw text outgrows a message, later chunks never change the preview.
        so_far = list(itertools.accumulate(chunks))
        room = LIMIT - len(head) - 2
        longer = [s for s, c in zip(shown, so_far, strict=True) if len(c.strip()) > room]
        assert len(set(longer)) <= 1


def test_discord_preview_cuts_once_and_keeps_the_cut() -> None:
    from adapters.discord.send import LIMIT as DISCORD_LIMIT
    from adapters.discord.stream import Stream

    stream = Stream(None, None, Look("ada", "Ada"), interval=0.0)  # type: ignore[arg-type]
    room = DISCORD_LIMIT - len("Ada") - 10
    shown = []
    for i in range(400):
        stream._chunks.append(f"word{i} ")
        shown.append(stream._preview())
    text = "".join(f"word{i} " for i in range(400)).strip()
    assert shown[0] == "word0"
    long_enough = next(
        i for i in range(400) if len(" ".join(f"word{j}" for j in range(i + 1))) > room
    )
    assert shown[long_enough - 1] == " ".join(f"word{j}" for j in range(long_enough))
    assert set(shown[long_enough:]) == {text[: room - 2].rstrip() + " …"}
