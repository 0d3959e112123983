"""Time expressions in a query ("last week", "in March 2023", "3 days ago", "before the trip").

Relative expressions resolve against the reference time the caller gives (the conversation's
"now"); a stated year is always honoured.
"""

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
_MONTH = r"(" + "|".join(MONTHS) + r"|" + "|".join(m[:3] for m in MONTHS) + r")\.?"
_YEAR = r"((?:19|20)\d\d)"
# An event is usually told within days of happening ("I ran a race last Saturday"): a memory
# formed this long after a window's end still counts as inside it.
TOLD_AFTER = timedelta(days=7)
# Words after before/after that name no event: "before I forget", "after all".
_NOT_EVENTS = re.compile(
    r"^(?:i forget|i go|that|this|then|now|all|so|long|you|we start|it|yet|ever|again)\b"
)
_STOP = {"the", "my", "our", "his", "her", "their", "a", "an", "to", "of", "in", "on", "we", "i"}


@dataclass(frozen=True)
class Window:
    """A time range a query refers to (either end may be open)."""

    start: datetime | None
    end: datetime | None

    def contains(self, when: datetime) -> bool:
        """Whether a memory formed at `when` is about this range (told up to a week later)."""
        return (self.start is None or when >= self.start) and (
            self.end is None or when < self.end + TOLD_AFTER
        )


@dataclass(frozen=True)
class Anchor:
    """ "before X" / "after X": a window relative to when X happened, found by the caller."""

    phrase: str
    before: bool


def _day(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def _month_index(word: str) -> int:
    return next(i for i, m in enumerate(MONTHS) if m.startswith(word.rstrip(".")[:3])) + 1


def _month(year: int, month: int) -> Window:
    start = datetime(year, month, 1)
    return Window(start, datetime(year + (month == 12), month % 12 + 1, 1))


def _explicit(q: str) -> Window | None:
    """Dates that carry their own year: 2023-03-05, 5 March 2023, March 5 2023, March 2023,
    2023."""
    m = re.search(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b", q)
    if m:
        day = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return Window(day, day + timedelta(days=1))
    m = re.search(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?: of)? {_MONTH},? {_YEAR}\b", q) or re.search(
        rf"\b{_MONTH} (\d{{1,2}})(?:st|nd|rd|th)?,? {_YEAR}\b", q
    )
    if m:
        parts = m.groups()
        day_s, month_s = (parts[0], parts[1]) if parts[0].isdigit() else (parts[1], parts[0])
        try:
            day = datetime(int(parts[2]), _month_index(month_s), int(day_s))
        except ValueError:
            return None
        return Window(day, day + timedelta(days=1))
    m = re.search(rf"\b{_MONTH},? (?:of )?{_YEAR}\b", q)
    if m:
        return _month(int(m.group(2)), _month_index(m.group(1)))
    m = re.search(rf"\b(?:in|during|of|since|for|throughout) {_YEAR}\b", q)
    if m:
        year = int(m.group(1))
        end = None if m.group(0).startswith("since") else datetime(year + 1, 1, 1)
        return Window(datetime(year, 1, 1), end)
    return None


def _relative(q: str, today: datetime) -> Window | None:
    """Expressions relative to the reference day: today, last week, 3 days ago, last Tuesday."""
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
    if re.search(r"\bthis year\b", q):
        return Window(today.replace(month=1, day=1), None)
    if re.search(r"\blast year\b", q):
        return Window(datetime(today.year - 1, 1, 1), datetime(today.year, 1, 1))
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
    m = re.search(rf"\b(in|during|since|last|of) {_MONTH}\b", q)
    if m:
        month = _month_index(m.group(2))
        # A month without a year: the latest one not after the reference day.
        year = today.year if month <= today.month else today.year - 1
        found = _month(year, month)
        return Window(found.start, None) if m.group(1) == "since" else found
    return None


def window(query: str, now: datetime) -> Window | None:
    """The window a query talks about, or None when it names no time."""
    q = " ".join(query.lower().split())
    return _explicit(q) or _relative(q, _day(now))


def anchor(query: str) -> Anchor | None:
    """ "before the trip" → Anchor("trip", before=True); None when what follows names no event."""
    m = re.search(r"\b(before|after)\s+([\w' -]{3,60})", query.lower())
    if not m:
        return None
    phrase = re.split(r"[?.!,;]", m.group(2))[0].strip()
    if _NOT_EVENTS.match(phrase):
        return None
    words = [w for w in re.findall(r"[\w']+", phrase) if w not in _STOP]
    if not words or all(len(w) < 3 for w in words):
        return None
    return Anchor(" ".join(words), m.group(1) == "before")
