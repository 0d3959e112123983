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


class Preview:
    """A streaming reply's preview, built up chunk by chunk: each new piece of text is escaped
    once, and once the reply outgrows one message its first message is settled for good."""

    def __init__(self, look: Look) -> None:
        self.head = header(look)
        self.room = LIMIT - len(self.head) - 2
        self._raw: list[str] = []
        self._raw_size = 0
        self._escaped: list[str] = []
        self._escaped_size = 0
        self._settled: str | None = None

    def add(self, text: str) -> None:
        """Fold in the text that arrived since the last call."""
        if self._settled is not None or not text:
            return
        escaped = html.escape(text, quote=False)  # char by char: pieces escape like the whole
        self._raw.append(text)
        self._raw_size += len(text)
        self._escaped.append(escaped)
        self._escaped_size += len(escaped)

    def render(self) -> str:
        """The reply so far, escaped, cut to one message (then marked " …")."""
        if self._settled is not None:
            return self._settled
        escaped = "".join(self._escaped).strip()
        if len(escaped) <= self.room:
            return self.head + (escaped or "…")
        raw = "".join(self._raw)
        cut = self.head + fit(raw, self.room)[0] + " …"
        if len(raw.strip()) > self.room:  # the first piece depends on this much text only
            self._settled = cut
            self._raw, self._escaped = [], []
        return cut
