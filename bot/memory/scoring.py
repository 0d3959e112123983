"""Recall scoring: fused relevance, recency decay, importance and strength."""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import TypeVar

from bot.memory.ranking import without_speaker

K = TypeVar("K", bound=Hashable)

# Score fusion that keeps the sizes of both scores: a strong word match found by one list is
# not buried because the other missed it (as rank fusion over min-max did).
FUSE_VECTOR = 0.6
FUSE_TEXT = 0.4
BM25_HALF = 6.0  # the BM25 score that counts as half a match


def fuse(cosine: Mapping[K, float], bm25: Mapping[K, float]) -> dict[K, float]:
    """Cosine (as is) and BM25 squashed to 0..1 (bm / (bm + BM25_HALF)), weighted."""
    ids = set(cosine) | set(bm25)
    return {
        i: FUSE_VECTOR * max(0.0, cosine.get(i, 0.0))
        + FUSE_TEXT * (bm25.get(i, 0.0) / (bm25.get(i, 0.0) + BM25_HALF))
        for i in ids
    }


def minmax(scores: Mapping[int, float]) -> dict[int, float]:
    """Scale to 0..1 (all equal → all 1)."""
    if not scores:
        return {}
    lo, hi = min(scores.values()), max(scores.values())
    if hi - lo < 1e-12:
        return dict.fromkeys(scores, 1.0)
    return {k: (v - lo) / (hi - lo) for k, v in scores.items()}


def recency(last: datetime, now: datetime, half_life_days: float) -> float:
    """Exponential decay with the given half-life (1.0 = just now)."""
    age_days = max(0.0, (now - last).total_seconds() / 86400)
    return float(0.5 ** (age_days / max(half_life_days, 1e-6)))


_SIGNALS = re.compile(
    r"\b(my name|i am|i'm|i live|i work|my (wife|husband|partner|son|daughter|mom|mum|dad|"
    r"sister|brother|friend|dog|cat|birthday|job|boss)|allerg|love|hate|favou?rite|prefer|"
    r"always|never|married|moved|born|diagnos|graduat|trip|travel)\b",
    re.IGNORECASE,
)


def episode_importance(text: str) -> float:
    """A cheap, deterministic 0-1 guess of how worth remembering a user's message is."""
    text = without_speaker(text)  # "Mira: " says who spoke, not what matters
    score = 0.2
    if _SIGNALS.search(text):
        score += 0.35
    if re.search(r"\d", text):
        score += 0.1
    if re.search(r"\b[A-Z][a-z]{2,}", text[1:]):  # a capitalised word past the first letter
        score += 0.1
    words = len(text.split())
    if words >= 8:
        score += 0.1
    if words <= 3:
        score -= 0.1
    if text.rstrip().endswith("?"):
        score -= 0.1
    return round(min(1.0, max(0.05, score)), 2)
