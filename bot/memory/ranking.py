"""What recall reads off the texts it found: speakers, names worth a second search, questions."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from personas.knowledge import proper_nouns

# "Mira: hi!" — a transcript line names its speaker before a colon.
_SPEAKER = re.compile(r"^\s*([A-Z][\w'-]*(?: [A-Z][\w'-]*)?):\s")
# A name in this share of the found texts is one of the conversation's own (a speaker, the
# user's partner): searching for it finds small talk, not the answer.
UBIQUITOUS = 0.25
_RECENT = re.compile(
    r"\b(now|current|currently|these days|at the moment|nowadays|any ?more|still|latest|"
    r"newest|most recent|recently|lately|today|at present)\b",
    re.IGNORECASE,
)


def speaker(text: str) -> str | None:
    """The name before the colon of a transcript line, if any."""
    m = _SPEAKER.match(text)
    return m.group(1) if m else None


def without_speaker(text: str) -> str:
    """The line without its "Name: " prefix."""
    return _SPEAKER.sub("", text, count=1)


def conversation_names(texts: Iterable[str]) -> set[str]:
    """Names that belong to the conversation itself: its speakers, and names in most texts."""
    texts = list(texts)
    names: set[str] = set()
    seen: Counter[str] = Counter()
    for text in texts:
        who = speaker(text)
        if who:
            names.update(who.split())
        seen.update(proper_nouns(" " + text))
    floor = max(3, UBIQUITOUS * len(texts))
    return names | {n for n, c in seen.items() if c >= floor}


def hop_names(text: str, query: str, ignore: set[str]) -> list[str]:
    """Names in a hit that the query lacks and that are not the conversation's own."""
    body = without_speaker(text)
    asked = query.lower()
    return sorted(
        n for n in proper_nouns(" " + body) if n not in ignore and n.lower() not in asked
    )


def is_question(text: str) -> bool:
    """Whether a turn asks something (its reply is then likely the answer)."""
    return "?" in text


def about_recency(query: str) -> bool:
    """ "Where do I live now?": questions whose answer is the latest statement."""
    return bool(_RECENT.search(query))
