"""Full-text (BM25) scoring of one owner's memories in-process, with that owner's own statistics.

A small owner's rows are already in memory for the vector search (storage/owner_rows.py), so
scoring their words here spares a LanceDB full-text query (2.2 ms of a recall's ~8 ms CPU at
100k rows) — and the ranking no longer depends on what other owners wrote: word rarity is
counted over the owner's own memories, not the whole table.
"""

from __future__ import annotations

import math
from collections import Counter, OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

# Lucene's BM25 (what LanceDB's full-text index scores with): term saturation and length
# normalisation at Lucene's defaults.
K1 = 1.2
B = 0.75
CACHED_TEXTS = 50_000  # texts' terms kept (a memory's text never changes; ~200 B each)
# NLTK's English stop words (chat's "i", "my", "what", "did"...): measured on the chat
# benchmark, bm25s's shorter Lucene list ("en") cost the default 0.92 -> 0.90 any@10.
STOPWORDS = "en_plus"

_counts: OrderedDict[str, Counter[str]] = OrderedDict()
_stemmer: Any = None


def _tokenize(texts: list[str]) -> list[list[str]]:
    import bm25s
    import Stemmer

    global _stemmer
    if _stemmer is None:
        _stemmer = Stemmer.Stemmer("english")  # Snowball English, as LanceDB's index stems
    out: list[list[str]] = bm25s.tokenize(
        texts,
        stopwords=STOPWORDS,
        stemmer=_stemmer.stemWords,
        return_ids=False,
        show_progress=False,
    )
    return out


def terms(texts: Sequence[str]) -> list[Counter[str]]:
    """Each text's stemmed terms with their counts, stop words dropped (cached by text; the
    texts not cached are tokenized in one call)."""
    missing = list(dict.fromkeys(t for t in texts if t not in _counts))
    found = dict(zip(missing, map(Counter, _tokenize(missing)), strict=True)) if missing else {}
    _counts.update(found)
    out = [_counts[t] for t in texts]
    while len(_counts) > CACHED_TEXTS:
        _counts.popitem(last=False)
    return out


def bm25(query: str, docs: Sequence[str]) -> np.ndarray:
    """Lucene BM25 of `query` against each of `docs`, with statistics over `docs` alone (0:
    no term in common)."""
    scores = np.zeros(len(docs), dtype=np.float64)
    wanted = set(terms([query])[0])
    if not wanted or not docs:
        return scores
    counted = terms(docs)
    lengths = np.array([c.total() for c in counted], dtype=np.float64)
    norm = K1 * (1 - B + B * lengths / max(float(lengths.mean()), 1e-9))
    n = len(docs)
    for term in wanted:
        tf = np.array([c[term] for c in counted], dtype=np.float64)
        df = int(np.count_nonzero(tf))
        if df:
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            scores += idf * tf * (K1 + 1) / (tf + norm)
    return scores
