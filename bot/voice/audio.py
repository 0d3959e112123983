"""Audio with PyAV (no ffmpeg): decode to PCM, join, encode OGG/Opus. Imported when needed."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np
from av.audio.resampler import AudioResampler

from bot.errors import BadInput
from bot.voice.sniff import sniff as sniff

OPUS_RATE = 48000  # Opus only runs at 48 kHz (and a few lower rates); Telegram wants 48k mono


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit samples."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        """Duration."""
        return len(self.samples) / self.rate if self.rate else 0.0


def pcm_from_raw(data: bytes, rate: int) -> Pcm:
    """Raw little-endian 16-bit mono PCM (ElevenLabs' pcm_* formats)."""
    usable = len(data) - len(data) % 2
    return Pcm(np.frombuffer(data[:usable], dtype="<i2").copy(), rate)


def decode(data: bytes) -> Pcm:
    """Any container PyAV reads → mono 16-bit PCM at the stream's rate."""
    try:
        with av.open(io.BytesIO(data), "r") as container:
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or OPUS_RATE
            resampler = AudioResampler(format="s16", layout="mono", rate=rate)
            parts = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    parts.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                parts.append(out.to_ndarray().reshape(-1))
    except (av.FFmpegError, IndexError) as exc:
        raise BadInput("the audio could not be decoded") from exc
    samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
    return Pcm(samples.astype(np.int16), rate)


def join(parts: list[Pcm], pause_s: float = 0.15) -> Pcm:
    """Concatenate chunks (resampled to the first one's rate) with a short pause between."""
    if not parts:
        return Pcm(np.zeros(0, dtype=np.int16), OPUS_RATE)
    rate = parts[0].rate
    gap = np.zeros(int(rate * pause_s), dtype=np.int16)
    out: list[np.ndarray] = []
    for i, part in enumerate(parts):
        if i:
            out.append(gap)
        out.append(part.samples if part.rate == rate else _resample(part, rate).samples)
    return Pcm(np.concatenate(out), rate)


def _resample(pcm: Pcm, rate: int) -> Pcm:
    frame = av.AudioFrame.from_ndarray(pcm.samples.reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = pcm.rate
    resampler = AudioResampler(format="s16", layout="mono", rate=rate)
    chunks = [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return Pcm(np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16), rate)


def ogg_opus(pcm: Pcm, bitrate: int = 32000) -> bytes:
    """Encode PCM as an OGG/Opus voice note (48 kHz mono)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=OPUS_RATE, layout="mono")
        stream.bit_rate = bitrate
        frame = av.AudioFrame.from_ndarray(pcm.samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = pcm.rate
        resampler = AudioResampler(format="s16", layout="mono", rate=OPUS_RATE)
        for out in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(out):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def seconds(data: bytes) -> float:
    """Duration of an audio file, from its container."""
    with av.open(io.BytesIO(data), "r") as container:
        if container.duration:
            return float(container.duration) / 1_000_000
        stream = container.streams.audio[0]
        if stream.duration and stream.time_base:
            return float(stream.duration * stream.time_base)
    return decode(data).seconds
