"""What kind of audio a file holds, judged by its first bytes (cheap: no codecs loaded)."""

from __future__ import annotations

from bot.messages import Attachment


def sniff(data: bytes) -> str | None:
    """The container of an audio file from its first bytes: ogg, mp3, wav, flac, m4a or None."""
    head = data[:16]
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if data[4:8] == b"ftyp":
        return "m4a"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def is_audio(att: Attachment) -> bool:
    """An audio attachment, by its declared type or its bytes."""
    return att.content_type.startswith("audio/") or (
        bool(att.data) and sniff(att.data) is not None
    )
