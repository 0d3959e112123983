"""A persona's shared knowledge: lessons for all its users, scrubbed of personal data."""

from __future__ import annotations

import re
from collections.abc import Iterable

LIMIT = 8000

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{2,}")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{6,}\d(?!\w)")
_NUMBER = re.compile(r"\b\d{4,}\b")  # ids, codes, house and account numbers
_ADDRESS = re.compile(
    r"\b\d+[a-z]?\s+(?:[A-Z][\w'-]*\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|"
    r"Boulevard|Blvd|Way|Place|Pl|Square|Sq|Court|Ct)\b\.?",
)
# Capitalised words that are not personal: sentence starters are handled separately.
_COMMON = {
    "I",
    "I'm",
    "I've",
    "I'd",
    "I'll",
    "AI",
    "OK",
    "The",
    "A",
    "An",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "English",
    "Python",
    "JavaScript",
    "SQL",
    "User",
    "Users",
}


_PROPER = re.compile(r"(?<![.!?:\-•*\n])\s([A-Z][a-z][\w'-]*)")


def proper_nouns(text: str) -> set[str]:
    """Capitalised words inside sentences of `text` (names and places, mostly)."""
    return {w for w in _PROPER.findall(text) if w not in _COMMON}


def scrub(text: str, names: Iterable[str] = (), keep: Iterable[str] = ()) -> str:
    """Replace contacts, numbers, addresses, known names and other proper nouns with tags."""
    out = _EMAIL.sub("[email]", text)
    out = _URL.sub("[link]", out)
    out = _HANDLE.sub("[handle]", out)
    out = _ADDRESS.sub("[address]", out)
    out = _PHONE.sub("[number]", out)
    out = _NUMBER.sub("[number]", out)
    for name in sorted(
        {n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True
    ):
        out = re.sub(rf"\b{re.escape(name)}\b", "[name]", out, flags=re.IGNORECASE)
    allowed = _COMMON | {k for k in keep if k}

    def proper_noun(m: re.Match[str]) -> str:
        word = m.group(2)
        return m.group(0) if word in allowed else m.group(1) + "[name]"

    # A capitalised word that does not start a sentence or line is a name or a place.
    out = re.sub(r"(?<![.!?:\-•*\n])(\s)([A-Z][a-z][\w'-]*)", proper_noun, out)
    return out[:LIMIT]
