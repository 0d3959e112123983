"""The shared streaming message: when "typing…" is signalled."""

from __future__ import annotations

import asyncio

from adapters.streaming import StreamingMessage


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
