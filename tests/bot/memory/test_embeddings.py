"""Embedding providers: the offline model and any litellm embedding endpoint."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from bot.errors import ConfigError
from bot.memory.embeddings import LiteLLMEmbedder, LocalMiniLM, make_embedder
from tests.bot.memory.conftest import _EMBEDDER
from tests.support.fake_openai import FakeOpenAI


async def test_local_model_is_normalised_semantic_and_batches_concurrent_calls() -> None:
    a, b, c = await _EMBEDDER.embed(
        ["My cat is called Miso", "What is the name of my cat?", "The stock market fell"]
    )
    assert a.shape == (384,) and abs(float(np.linalg.norm(a)) - 1) < 1e-5
    assert float(a @ b) > float(a @ c) + 0.3
    fresh = LocalMiniLM()
    calls = 0
    original = fresh.encode

    def counting(texts):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original(texts)

    fresh.encode = counting  # type: ignore[method-assign]
    out = await asyncio.gather(*(fresh.embed([f"sentence {i}"]) for i in range(20)))
    assert calls == 1 and all(v.shape == (1, 384) for v in out)


async def test_litellm_provider_talks_to_an_openai_compatible_server(fake_llm: FakeOpenAI) -> None:
    embedder = make_embedder("litellm:openai/test-embed", fake_llm.base_url)
    assert isinstance(embedder, LiteLLMEmbedder)
    vectors = await embedder.embed(["banana", "tree"])
    assert vectors.shape == (2, 8)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    body = fake_llm.requests[-1]
    assert body["model"] == "test-embed" and body["input"] == ["banana", "tree"]


def test_unknown_provider_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"memory\.embedding: unknown provider 'word2vec'"):
        make_embedder("word2vec")


def test_bulk_batches_by_length_give_each_text_its_own_vector() -> None:
    """Sorting by length and batching by a token budget must not mix rows up."""
    texts = [("word " * n).strip() + f" {n}" for n in (40, 1, 200, 7, 3, 90, 1, 15)]
    small = LocalMiniLM(batch_tokens=64)  # forces many small batches
    together = small.encode(texts)
    alone = np.stack([small.encode([t])[0] for t in texts])
    assert together.shape == (len(texts), 384)
    assert np.allclose(together, alone, atol=1e-4)
