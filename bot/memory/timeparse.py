"""Time expressions in a query ("last week", "3 days ago", "in March", "before the trip")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_UNITS = {"day": 1, "week": 7, "month": 30, "year": 365}
_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "a few": 3,
    "few": 3,
    "couple of": 2,
    "a couple of": 2,
    "several": 4,
}


@dataclass(frozen=True)
class Window:
    """A time range a query refers to (either end may be open)."""

    start: datetime | None
    end: datetime | None

    def contains(self, when: datetime) -> bool:
        """Whether `when` falls inside."""
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)


@dataclass(frozen=True)
class Anchor:
    """ "before X" / "after X": a window relative to when X happened, found by the caller."""

    phrase: str
    before: bool


def _day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def window(query: str, now: datetime) -> Window | None:
    """The window a query talks about, or None when it names no time."""
    q = query.lower()
    today = _day(now)
    if re.search(r"\btoday\b|\bthis morning\b|\btonight\b", q):
        return Window(today, None)
    if re.search(r"\byesterday\b|\blast night\b", q):
        return Window(today - timedelta(days=1), today)
    if re.search(r"\bthis week\b", q):
        return Window(today - timedelta(days=today.weekday()), None)
    if re.search(r"\blast week\b", q):
        start = today - timedelta(days=today.weekday() + 7)
        return Window(start, start + timedelta(days=7))
    if re.search(r"\bthis month\b", q):
        return Window(today.replace(day=1), None)
    if re.search(r"\blast month\b", q):
        first = today.replace(day=1)
        prev = (first - timedelta(days=1)).replace(day=1)
        return Window(prev, first)
    if re.search(r"\blast year\b", q):
        return Window(
            today.replace(year=today.year - 1, month=1, day=1), today.replace(month=1, day=1)
        )
    if re.search(r"\brecently\b|\blately\b|\bthese days\b", q):
        return Window(today - timedelta(days=7), None)
    number = "|".join(sorted((re.escape(k) for k in _NUMBERS), key=len, reverse=True))
    m = re.search(rf"\b(\d+|{number})\s+(day|week|month|year)s?\s+ago\b", q)
    if m:
        n = int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1)]
        days = n * _UNITS[m.group(2)]
        slack = max(1, days // 4)  # "3 weeks ago" is roughly, not exactly, 21 days ago
        centre = today - timedelta(days=days)
        return Window(centre - timedelta(days=slack), centre + timedelta(days=slack + 1))
    m = re.search(r"\b(?:last|on)\s+(" + "|".join(WEEKDAYS) + r")\b", q)
    if m:
        back = (today.weekday() - WEEKDAYS.index(m.group(1))) % 7 or 7
        start = today - timedelta(days=back)
        return Window(start, start + timedelta(days=1))
    m = re.search(r"\b(?:in|during|since|last)\s+(" + "|".join(MONTHS) + r")\b", q)
    if m:
        month = MONTHS.index(m.group(1)) + 1
        year = today.year if month <= today.month else today.year - 1
        start = today.replace(year=year, month=month, day=1)
        end = start.replace(year=year + (month == 12), month=month % 12 + 1)
        return Window(start, None if "since" in m.group(0) else end)
    return None


def anchor(query: str) -> Anchor | None:
    """ "before the trip" → Anchor("the trip", before=True)."""
    m = re.search(r"\b(before|after)\s+(?:my|the|our|we|i)?\s*([\w' -]{3,40})", query.lower())
    if not m:
        return None
    phrase = re.split(r"[?.!,]", m.group(2))[0].strip()
    return Anchor(phrase, m.group(1) == "before") if phrase else None
