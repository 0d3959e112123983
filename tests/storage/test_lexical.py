"""Full-text scoring of a small owner's rows in-process, checked against LanceDB's own index."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from storage.keys import OwnerKey
from storage.lexical import bm25, terms
from storage.vectors import VectorRow, VectorStore, owner_key

CHAT = [
    "Mira: I went hiking in the Alps with my sister last summer",
    "Tom: my dog Rex keeps running after the neighbour's cats",
    "Mira: the cafe near the river does great coffee",
    "Tom: running every morning, training for the Porto marathon",
    "Mira: haha ok",
    "Tom: we cooked dumplings and ramen for dinner",
    "Mira: my sister Ana works as an architect in Lyon",
    "Tom: coffee or tea? coffee, always coffee",
]
QUERIES = ["running dog", "coffee", "sister architect", "Porto marathon training", "ramen"]


def _rows(owner: OwnerKey, start: int, texts: list[str]) -> list[VectorRow]:
    vectors = np.random.default_rng(start).standard_normal((len(texts), 8)).astype(np.float32)
    at = datetime(2026, 1, 1)
    return [
        VectorRow(start + i, owner, "episode", t, at, v)
        for i, (t, v) in enumerate(zip(texts, vectors, strict=True))
    ]


async def test_scores_agree_with_lancedbs_index_when_the_table_holds_one_owner(
    tmp_path: Path,
) -> None:
    """With one owner in the table its statistics are the corpus's: our in-process BM25 must
    find what LanceDB's full-text index finds, with the same scores (LanceDB rounds lengths)."""
    store = VectorStore(tmp_path / "v", 8)
    owner = OwnerKey(1, 1)
    await store.add(_rows(owner, 1, CHAT))
    await store.optimize()
    table = await store._open()
    for query in QUERIES:
        ours = {h.id: h.score for h in await store.by_text(owner, query, 10)}
        theirs = {h.id: h.score for h in await store._lance_text(table, owner, query, 10)}
        assert ours.keys() == theirs.keys(), query
        for i, score in theirs.items():
            assert ours[i] == pytest.approx(score, rel=0.08), (query, i)


async def test_a_small_owners_word_scores_never_depend_on_other_owners(tmp_path: Path) -> None:
    """Word rarity is counted over the owner's own memories: another owner writing the same
    words changes nothing in this owner's scores (LanceDB's corpus-wide ones do change), and
    never brings its rows in."""
    store = VectorStore(tmp_path / "v", 8)
    mine, other = OwnerKey(1, 1), OwnerKey(2, 1)
    await store.add(_rows(mine, 1, CHAT))
    before = {q: [(h.id, h.score) for h in await store.by_text(mine, q, 10)] for q in QUERIES}
    table = await store._open()
    lance_before = [h.score for h in await store._lance_text(table, mine, "coffee", 10)]
    await store.add(_rows(other, 1000, ["coffee and running, my dog loves coffee"] * 150))
    await store.optimize()
    after = {q: [(h.id, h.score) for h in await store.by_text(mine, q, 10)] for q in QUERIES}
    assert after == before
    assert all(i < 1000 for hits in after.values() for i, _ in hits)
    lance_after = [h.score for h in await store._lance_text(table, mine, "coffee", 10)]
    assert lance_after != pytest.approx(lance_before)  # the property is not vacuous


async def test_search_gives_what_the_two_searches_give_for_small_and_large_owners(
    tmp_path: Path,
) -> None:
    """`search` reads a small owner's rows once for both rankings; a large owner's go to
    LanceDB; either way the hits are those of by_vector and by_text."""
    store = VectorStore(tmp_path / "v", 8, small_owner=20)
    small, large = OwnerKey(1, 1), OwnerKey(2, 1)
    await store.add(_rows(small, 1, CHAT) + _rows(large, 100, CHAT * 4))
    await store.optimize()
    query = np.random.default_rng(5).standard_normal(8).astype(np.float32)
    for owner in (small, large):
        for text in QUERIES:
            vec, words = await store.search(owner, text, query, 5)
            assert [h.id for h in vec] == [h.id for h in await store.by_vector(owner, query, 5)]
            assert [h.id for h in words] == [h.id for h in await store.by_text(owner, text, 5)]
            assert words, text
    assert store._large == {owner_key(large)}  # searched by LanceDB; the small one never


def test_stop_words_stems_and_texts_without_terms() -> None:
    """Chat's function words find nothing, a stem finds its forms, and a text of stop words
    alone is scored (and cached) as having no terms."""
    docs = ["Tom: running every morning", "Mira: what did I say?", "my same"]
    assert not bm25("what did I", docs).any()
    assert bm25("runs", docs)[0] > 0 and not bm25("runs", docs)[1:].any()
    assert terms(["my same", "my same"]) == [{}, {}]
    assert terms(["my same"]) == [{}]
    assert not bm25("my same", docs).any()
