"""A persona's shared knowledge: lessons for all its users, scrubbed of personal data."""

from __future__ import annotations

import re
from collections.abc import Iterable

from personas import pii

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
    """Replace personal data with tags: what Presidio finds (personas/pii.py), street
    addresses, handles, long numbers, the `names` given, a first name starting a sentence, and
    other capitalised words inside sentences (`keep`: words that stay, e.g. the persona's
    own name)."""
    allowed = _COMMON | {k for k in keep if k}
    found = pii.find(text, names, keep)
    for pattern, tag in (
        (_ADDRESS, "[address]"),
        (_HANDLE, "[handle]"),
        (_EMAIL, "[email]"),
        (_URL, "[link]"),
        (_PHONE, "[number]"),
        (_NUMBER, "[number]"),
    ):
        found += [pii.Found(m.start(), m.end(), tag) for m in pattern.finditer(text)]
    found += pii.inside_sentences(text, allowed)
    return pii.replace(text, found)[:LIMIT]
