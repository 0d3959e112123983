"""A summary that needs no model: the sentences of a conversation that carry the most, kept in
order under a character budget. Deterministic, so the bundled 135M model's setup still gets a
summary (that model cannot write one), and cheap enough to run on every window."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_LINE = re.compile(r"^- (\d{4}-\d{2}-\d{2}) ([^:]{1,80}): (.+)$")
# Function words and chat filler: they say nothing about what happened.
_WORDS = """a about above after again all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just let lets me more most my myself no nor not now of off on once only or other
    our ours out over own same she should so some such than that the their theirs them then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours yourself yeah yes yep ok okay oh ah
    hi hey hello thanks thank lol haha hmm well really sure maybe just like got get gets going
    gonna want wanna know think thing things something anything everything one ones good great
    nice cool fine right sounds sound much many way still even don't i'm it's that's you're
    i've i'll can't didn't doesn't isn't won't what's there's let's"""
_STOP = frozenset(_WORDS.split())
_FIRST_PERSON = frozenset({"i", "my", "me", "mine", "i'm", "i've", "i'll", "i'd", "we", "our"})
MAX_SENTENCE = 240


@dataclass(frozen=True)
class Said:
    """One message to summarise."""

    when: datetime
    speaker: str
    text: str
    by_user: bool


@dataclass(frozen=True)
class _Candidate:
    line: str
    words: frozenset[str]
    bonus: float


def _candidate(day: str, speaker: str, sentence: str, by_user: bool) -> _Candidate | None:
    sentence = " ".join(sentence.split())
    if len(sentence) > MAX_SENTENCE:
        sentence = sentence[: MAX_SENTENCE - 1].rsplit(" ", 1)[0] + "…"
    tokens = _WORD.findall(sentence)
    words = frozenset(t.lower() for t in tokens if len(t) > 2 and t.lower() not in _STOP)
    if len(words) < 2:  # small talk: "haha yes", "thanks!"
        return None
    bonus = 0.0
    if any(ch.isdigit() for ch in sentence):
        bonus += 1.0  # dates, times, amounts, codes
    if any(t[0].isupper() for t in tokens[1:] if t.lower() not in _STOP):
        bonus += 0.5  # names and places
    if by_user:
        bonus += 0.5  # what the user says about themselves matters more than the answers
    if any(t.lower() in _FIRST_PERSON for t in tokens):
        bonus += 0.5
    if sentence.endswith("?"):
        bonus -= 0.5
    return _Candidate(f"- {day} {speaker}: {sentence}", words, bonus)


def _candidates(previous: str, said: Sequence[Said], user: str) -> list[_Candidate]:
    found: list[_Candidate] = []
    for line in previous.splitlines():
        parsed = _LINE.match(line.strip())
        if parsed is not None:
            day, speaker, sentence = parsed.groups()
            kept = _candidate(day, speaker, sentence, by_user=speaker == user)
            if kept is not None:
                found.append(kept)
    for item in said:
        day = f"{item.when:%Y-%m-%d}"
        for sentence in _SENTENCE.split(item.text.strip()):
            if sentence.strip():
                made = _candidate(day, item.speaker, sentence.strip(), item.by_user)
                if made is not None:
                    found.append(made)
    return found


def summarise(previous: str, said: Sequence[Said], budget: int, user: str = "") -> str:
    """The earlier summary and the new messages, cut to their most telling sentences (one
    line each, dated, with the speaker), in the order they were said; `user` is the user's
    name as the earlier summary writes it."""
    found = _candidates(previous, said, user)
    if not found:
        return previous.strip()
    counts = Counter(w for c in found for w in c.words)

    def score(c: _Candidate) -> float:
        # Words the conversation keeps returning to, per word, so long lines don't win alone.
        return sum(counts[w] for w in c.words) / len(c.words) ** 0.5 + c.bonus

    ranked = sorted(range(len(found)), key=lambda i: (-score(found[i]), i))
    chosen: set[int] = set()
    used = 0
    seen: set[str] = set()
    for i in ranked:
        line = found[i].line
        if line in seen or used + len(line) + 1 > budget:
            continue
        seen.add(line)
        chosen.add(i)
        used += len(line) + 1
    return "\n".join(found[i].line for i in sorted(chosen))
