"""Split long replies for platforms with a message size limit, on natural boundaries."""

from __future__ import annotations

import re

FENCE = "```"
# Preferred cut points, best first: paragraph, line, sentence end, word.
_BOUNDARIES = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?…])[\"')\]]*\s+"),
    re.compile(r"\s+"),
)


def _cut(window: str) -> int:
    """Where to end a piece inside `window`: the last good boundary in its second half."""
    floor = len(window) // 2
    for pattern in _BOUNDARIES:
        ends = [m.end() for m in pattern.finditer(window) if m.start() >= floor]
        if ends:
            return ends[-1]
    return len(window)


def split_text(text: str, limit: int) -> list[str]:
    """Pieces of at most `limit` characters; code fences cut in two are closed and reopened."""
    if limit < 16:
        raise ValueError("limit too small to split on boundaries")
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        # Leave room to close a code fence and to reopen it in the next piece.
        end = _cut(rest[: limit - len(FENCE) - 1])
        piece, rest = rest[:end].rstrip(), rest[end:].lstrip("\n ")
        if piece.count(FENCE) % 2:
            piece += "\n" + FENCE
            rest = FENCE + "\n" + rest
        if piece.strip():
            pieces.append(piece)
    if rest.strip():
        pieces.append(rest)
    return pieces
