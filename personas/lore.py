"""Lorebooks (a card's `character_book`, "world info"): entries whose keys appear in the recent
conversation are put into the prompt, within the book's token budget.

Follows the V2/V3 card specifications — keys, `secondary_keys` with `selective`, `constant`,
`enabled`, `insertion_order`, `priority`, `position` (before/after the character text),
`case_sensitive`, V3's `use_regex` (keys as `/pattern/flags` or plain patterns) — plus two of
SillyTavern's entry extensions: `selectiveLogic` (0 AND ANY, 1 NOT ALL, 2 NOT ANY, 3 AND ALL)
and `match_whole_words` (default on: "cat" does not fire on "category").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SCAN_DEPTH = 2  # messages scanned when the book names none: the new one and the one before
TOKEN_BUDGET = 512
CHARS_PER_TOKEN = 4  # a budget estimate; no tokenizer runs per turn


@dataclass(frozen=True)
class Key:
    """One key: a plain key is first looked for as a substring (fast, in C), and only a hit
    is checked against its pattern (word edges); a regex key is searched."""

    needle: str | None  # plain keys: the text to find (lowercase unless case-sensitive)
    case: bool
    pattern: re.Pattern[str]

    def search(self, text: str, lower: str) -> bool:
        """Does the key occur in `text` (`lower`: the same, lowercased)?"""
        if self.needle is not None and self.needle not in (text if self.case else lower):
            return False
        return self.pattern.search(text) is not None


@dataclass(frozen=True)
class Entry:
    """One compiled entry."""

    content: str
    primary: tuple[Key, ...]
    secondary: tuple[Key, ...]
    logic: int  # for secondary keys: 0 AND ANY, 1 NOT ALL, 2 NOT ANY, 3 AND ALL
    constant: bool
    order: int
    priority: int
    after: bool  # position after_char

    def fires(self, text: str, lower: str) -> bool:
        """Do this entry's keys match `text` (the scanned messages, joined; `lower`: the
        same, lowercased)?"""
        if self.constant:
            return True
        if not any(k.search(text, lower) for k in self.primary):
            return False
        if not self.secondary:
            return True
        hits = [k.search(text, lower) for k in self.secondary]
        return (any(hits), not all(hits), not any(hits), all(hits))[self.logic]


@dataclass(frozen=True)
class Book:
    """A compiled lorebook."""

    entries: tuple[Entry, ...]
    scan_depth: int
    budget_chars: int


def _pattern(key: str, regex: bool, case: bool, whole: bool) -> Key | None:
    flags = 0 if case else re.IGNORECASE
    key = key.strip()
    if not key:
        return None
    if regex:
        found = re.fullmatch(r"/(.+)/([a-z]*)", key, re.DOTALL)
        body = found.group(1) if found else key
        if found and "i" in found.group(2):
            flags |= re.IGNORECASE
        try:
            return Key(None, case, re.compile(body, flags))
        except re.error:
            return None  # a broken pattern never fires (it was accepted as data)
    text = re.escape(key)
    if whole:  # word edges only where the key itself starts or ends with a word character
        text = (r"(?<!\w)" if key[0].isalnum() else "") + text
        text += r"(?!\w)" if key[-1].isalnum() else ""
    return Key(key if case else key.lower(), case, re.compile(text, flags))


def _patterns(keys: Any, regex: bool, case: bool, whole: bool) -> tuple[Key, ...]:
    if not isinstance(keys, list):
        return ()
    found = (_pattern(str(k), regex, case, whole) for k in keys if isinstance(k, str))
    return tuple(p for p in found if p is not None)


def compile_book(book: Mapping[str, Any] | None) -> Book | None:
    """The book ready to scan (None: no book, or nothing in it can fire)."""
    if not book:
        return None
    entries = []
    for raw in book.get("entries", []):
        if not isinstance(raw, dict) or raw.get("enabled", True) is False:
            continue
        found = raw.get("extensions")
        ext: dict[str, Any] = found if isinstance(found, dict) else {}
        regex = bool(raw.get("use_regex", False))
        case = bool(raw.get("case_sensitive", False))
        whole = bool(ext.get("match_whole_words", True))
        logic = ext.get("selectiveLogic", 0)
        entry = Entry(
            content=str(raw.get("content", "")).strip(),
            primary=_patterns(raw.get("keys"), regex, case, whole),
            secondary=_patterns(raw.get("secondary_keys"), regex, case, whole)
            if raw.get("selective")
            else (),
            logic=logic if logic in (0, 1, 2, 3) else 0,
            constant=bool(raw.get("constant", False)),
            order=int(raw.get("insertion_order", 0) or 0),
            priority=int(raw.get("priority", 0) or 0),
            after=raw.get("position") == "after_char",
        )
        if entry.content and (entry.constant or entry.primary):
            entries.append(entry)
    if not entries:
        return None
    depth = book.get("scan_depth")
    budget = book.get("token_budget")
    return Book(
        tuple(entries),
        depth if isinstance(depth, int) and depth > 0 else SCAN_DEPTH,
        (budget if isinstance(budget, int) and budget > 0 else TOKEN_BUDGET) * CHARS_PER_TOKEN,
    )


_COMPILED: dict[tuple[int, Any], Book | None] = {}


def book_of(persona_id: int, version: Any, book: Mapping[str, Any] | None) -> Book | None:
    """The compiled book of a persona, compiled once per persona version (its updated_at)."""
    key = (persona_id, version)
    if key not in _COMPILED:
        if len(_COMPILED) >= 1_000:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = compile_book(book)
    return _COMPILED[key]


def fire(book: Book, recent: Sequence[str]) -> tuple[list[str], list[str]]:
    """The entries the last `scan_depth` of `recent` (oldest first, the new message last)
    set off, within the budget: (before the character text, after it), each in insertion
    order. Over budget, the lowest priority goes first."""
    text = "\n".join(recent[-book.scan_depth :])
    lower = text.lower()
    fired = [e for e in book.entries if e.fires(text, lower)]
    fired.sort(key=lambda e: (-e.priority, e.order))
    kept, used = [], 0
    for e in fired:
        if used + len(e.content) > book.budget_chars:
            continue
        kept.append(e)
        used += len(e.content)
    kept.sort(key=lambda e: e.order)
    return [e.content for e in kept if not e.after], [e.content for e in kept if e.after]


def from_world_info(obj: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Entries of a lorebook file, as card entries: a card's `character_book` (an `entries`
    list) or a SillyTavern world-info file (an `entries` object keyed by uid, with `key`,
    `keysecondary`, `order`, `position` 0/1, `disable`)."""
    entries = obj.get("entries")
    if isinstance(entries, list):
        return [e for e in entries if isinstance(e, dict)]
    if not isinstance(entries, dict):
        raise ValueError("a lorebook file has an 'entries' list or object")
    out = []
    for raw in entries.values():
        if not isinstance(raw, dict):
            continue
        ext: dict[str, Any] = {}
        if "selectiveLogic" in raw:
            ext["selectiveLogic"] = raw["selectiveLogic"]
        if raw.get("matchWholeWords") is not None:
            ext["match_whole_words"] = bool(raw["matchWholeWords"])
        out.append(
            {
                "keys": list(raw.get("key") or []),
                "secondary_keys": list(raw.get("keysecondary") or []),
                "selective": bool(raw.get("selective", False)),
                "content": str(raw.get("content", "")),
                "constant": bool(raw.get("constant", False)),
                "enabled": not raw.get("disable", False),
                "insertion_order": int(raw.get("order", 100) or 0),
                "position": "after_char" if raw.get("position") == 1 else "before_char",
                "case_sensitive": bool(raw.get("caseSensitive") or False),
                "name": str(raw.get("comment", "")),
                "extensions": ext,
            }
        )
    return out
