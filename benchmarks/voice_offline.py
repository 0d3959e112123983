"""Offline speech: how long eSpeak NG + OGG/Opus encoding take to speak a reply.

Times the voice service end to end (synthesis, joining, encoding; cache off) for a 200-character
reply — cold (library load) and warm — and for 50 and 1,000 characters, and reports the audio's
duration, so the real-time factor is visible. Run: python benchmarks/voice_offline.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.config import VoiceConfig  # noqa: E402
from bot.voice.audio import seconds  # noqa: E402
from bot.voice.providers import make_provider  # noqa: E402
from bot.voice.service import VoiceService  # noqa: E402

SENTENCE = "The stars are bright tonight, and the moon is almost full over the quiet hills. "


def text_of(chars: int) -> str:
    """About `chars` characters of ordinary prose, ending on a word."""
    return (SENTENCE * (chars // len(SENTENCE) + 1))[:chars].rsplit(" ", 1)[0] + "."


async def main(runs: int) -> None:
    config = VoiceConfig(provider="offline", cache_mb=0, max_chars=5000)
    with tempfile.TemporaryDirectory() as tmp:
        service = VoiceService(make_provider(config, {}), config, Path(tmp))
        reply = text_of(200)
        started = time.perf_counter()
        first = await service.speak(reply, "")
        cold = time.perf_counter() - started
        print(f"200-character reply, cold (loads eSpeak NG and PyAV): {cold * 1000:.0f} ms")
        for chars in (50, 200, 1000):
            text = text_of(chars)
            times = []
            audio = first.audio.data
            for _ in range(runs):
                started = time.perf_counter()
                audio = (await service.speak(text, "")).audio.data
                times.append(time.perf_counter() - started)
            speech = seconds(audio)
            p50 = statistics.median(times)
            print(
                f"{len(text):>5} chars: p50 {p50 * 1000:6.0f} ms, max {max(times) * 1000:6.0f} ms"
                f" → {speech:5.1f} s of speech ({speech / p50:5.0f}x real time),"
                f" {len(audio) / 1024:5.0f} KiB OGG/Opus"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    asyncio.run(main(parser.parse_args().runs))
