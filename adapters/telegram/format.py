"""Telegram message text: HTML-escaped (no user `*` or `_` can break a send), split at 4,096."""

from __future__ import annotations

import html

from bot.messages import Look, Reply
from bot.split import split_text

LIMIT = 4096  # characters per Telegram message, after entity parsing; we count the markup too


def header(look: Look | None) -> str:
    """The persona's name heading its reply."""
    return f"<b>{html.escape(look.display_name)}</b>\n" if look is not None else ""


def fit(text: str, room: int, raw: int | None = None) -> list[str]:
    """Escaped pieces of `text`, each at most `room` characters once escaped."""
    out: list[str] = []
    raw = raw or room
    for piece in split_text(text, raw):
        escaped = html.escape(piece, quote=False)
        if len(escaped) <= room:
            out.append(escaped)
        else:  # escaping grew it (&, <, >): split this raw piece finer
            out += fit(piece, room, max(64, len(piece) * room // len(escaped) - 16))
    return out


def pieces(reply: Reply) -> list[str]:
    """Messages for a reply: the first headed by the persona's name, errors marked."""
    if reply.error:
        return fit(f"⚠️ {reply.text}", LIMIT) or ["⚠️"]
    head = header(reply.persona)
    parts = fit(reply.text, LIMIT - len(head)) or ["…"]
    return [head + parts[0], *parts[1:]]


def preview(look: Look, text: str) -> str:
    """A streaming reply so far, cut to one message."""
    head = header(look)
    room = LIMIT - len(head) - 2
    escaped = html.escape(text.strip() or "…", quote=False)
    if len(escaped) > room:
        escaped = fit(text, room)[0] + " …"
    return head + escaped
