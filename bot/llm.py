"""Model calls through litellm: streaming, bounded retries with backoff, then fallbacks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, Literal, TypeVar

from bot.config import LLMConfig
from bot.errors import BotError
from bot.messages import ChunkSink

log = logging.getLogger(__name__)

# litellm's own name for sending openai/ models through its HTTP client instead of the SDK.
OPENAI_HTTP_SWITCH = "EXPERIMENTAL_OPENAI_BASE_LLM_HTTP_HANDLER"
T = TypeVar("T")
FailureKind = Literal["unreachable", "auth", "timeout", "server", "dropped", "rejected", "stopped"]


@dataclass(frozen=True)
class Completion:
    """A finished reply and what it cost."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int


STILL_TRYING = "(the model didn't answer on the first try; still trying…) "


class LLMFailure(BotError):
    """Every model (main and fallbacks) failed; the message is safe to show. `partial` is
    what had already streamed to the user when a stream broke off (kept, marked as cut)."""

    def __init__(self, kind: FailureKind, message: str, partial: Completion | None = None):
        super().__init__(message)
        self.kind = kind
        self.partial = partial


class _Stopped(Exception):
    """The user stopped the generation."""


class _StreamDropped(Exception):
    """The stream broke, or ended without a finish reason, after text had reached the user."""

    def __init__(self, partial: Completion, kind: FailureKind = "dropped") -> None:
        super().__init__("stream cut")
        self.partial = partial
        self.kind: FailureKind = kind  # "timeout": past llm.timeout_s; "stopped": by the user


def endpoint(model: str, api_base: str, api_key_env: str = "") -> dict[str, Any]:
    """api_base / api_key arguments for a litellm call (chat or embeddings)."""
    kwargs: dict[str, Any] = {}
    if api_base:
        kwargs["api_base"] = api_base
    if api_key_env:
        kwargs["api_key"] = os.environ.get(api_key_env) or None
    elif api_base and not os.environ.get(model.split("/", 1)[0].upper() + "_API_KEY"):
        # litellm reads <PROVIDER>_API_KEY itself (OPENAI_API_KEY, LM_STUDIO_API_KEY...);
        # without one, local servers still need some key in the request, never a
        # key meant for another provider.
        kwargs["api_key"] = "sk-no-key-needed"
    return kwargs


def is_embedded(model: str) -> bool:
    """True for model strings served in-process by the bundled model."""
    return model.startswith("embedded/")


@cache
def litellm_module(context: int = 4096, threads: int = 0) -> ModuleType:
    """Import litellm once (it is slow) with offline-safe settings and our providers."""
    # Without this litellm fetches a model price map from the internet at import time.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    from bot import embedded

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    litellm.custom_provider_map = [
        {"provider": embedded.PROVIDER, "custom_handler": embedded.EmbeddedLLM(context, threads)}
    ]
    return litellm


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


def _classify(exc: BaseException) -> tuple[FailureKind, bool]:
    """(kind, worth retrying) for an exception raised by litellm."""
    import httpx
    import litellm

    if isinstance(exc, _StreamDropped):
        return exc.kind, False
    chain = _chain(exc)
    # litellm wraps refused connections and read timeouts in 500s; the cause tells the truth.
    if any(isinstance(e, TimeoutError | httpx.TimeoutException | litellm.Timeout) for e in chain):
        return "timeout", True
    if any(isinstance(e, ConnectionError | httpx.ConnectError) for e in chain) or (
        "not installed" in str(exc)
    ):
        return "unreachable", True
    statuses = {getattr(e, "status_code", None) for e in chain}
    if statuses & {401, 403} or isinstance(
        exc, litellm.AuthenticationError | litellm.PermissionDeniedError
    ):
        return "auth", False
    if isinstance(exc, litellm.NotFoundError | litellm.BadRequestError):
        return "rejected", False
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and 400 <= status < 500 and status not in (408, 429):
        return "rejected", False
    return "server", True


def _message(
    kind: FailureKind, model: str, cfg: LLMConfig, *, spent: bool = False, partial: bool = False
) -> str:
    saved = "Your message is saved."
    if kind == "stopped":
        if partial:
            return "(stopped — what was written so far is kept)"
        return f"Stopped before the model wrote anything. {saved}"
    if kind == "timeout" and partial:
        return (
            f"The model `{model}` did not finish within {cfg.timeout_s:g}s (llm.timeout_s), "
            f"so the reply above is cut where it stopped (kept, marked as cut). {saved}"
        )
    if spent:
        return (
            f"The model `{model}` could not answer within {cfg.turn_budget_s:g}s "
            f"(llm.turn_budget_s, for every retry and fallback together). {saved} Try again."
        )
    if kind == "unreachable":
        if is_embedded(model):
            return (
                f"The embedded model is not installed — run `uv sync`, or point me at another "
                f"model with llm.model "
                f"(e.g. PERSONABOT__LLM__MODEL=openai/gpt-4o-mini). {saved}"
            )
        return (
            f"I can't reach the model `{model}`. Point me at one: set llm.model in config.yaml "
            f"(e.g. PERSONABOT__LLM__MODEL=openai/gpt-4o-mini with OPENAI_API_KEY set) or "
            f"llm.api_base for a local server (e.g. http://localhost:1234/v1). {saved}"
        )
    if kind == "auth":
        return (
            f"The provider refused the credentials for `{model}` — check the API key in "
            f"the environment. {saved}"
        )
    if kind == "timeout":
        return (
            f"The model `{model}` did not answer within {cfg.timeout_s:g}s "
            f"(llm.timeout_s). {saved} Try again."
        )
    if kind == "dropped":
        return (
            "Sorry — the connection to the model dropped mid-reply, so the reply above is cut "
            f"off (kept, marked as cut). {saved} Try again."
        )
    if kind == "rejected":
        return (
            f"The model `{model}` rejected the request (check llm.model and the model "
            f"name). {saved}"
        )
    return f"Sorry — the model `{model}` failed to answer. {saved} Try again in a moment."


class LLM:
    """Calls a model chain: the chosen model with retries, then each configured fallback."""

    def __init__(self, cfg: LLMConfig) -> None:
        self.cfg = cfg
        # litellm reads this switch from the environment on every openai/ call, so it is
        # process-wide: one process serves one configuration.
        os.environ[OPENAI_HTTP_SWITCH] = "false" if cfg.openai_sdk else "true"

    def _kwargs(
        self,
        model: str,
        temperature: float,
        stream: bool,
        json_mode: bool = False,
        timeout: float = 0.0,
    ) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "model": model,
            "temperature": temperature,
            "max_tokens": (
                self.cfg.embedded_max_tokens if is_embedded(model) else self.cfg.max_tokens
            ),
            "timeout": timeout or self.cfg.timeout_s,
            "stream": stream,
            "num_retries": 0,  # we retry ourselves, so streams and fallbacks share one policy
            "max_retries": 0,
        }
        if stream:
            kwargs["stream_options"] = {"include_usage": True}
        if json_mode:
            kwargs["response_format"] = {"type": "json_object"}
        if not is_embedded(model):
            kwargs.update(endpoint(model, self.cfg.api_base, self.cfg.api_key_env))
        return kwargs

    @staticmethod
    async def _until_stopped(work: Coroutine[Any, Any, T], stop: asyncio.Event | None) -> T:
        """`work`'s result, or _Stopped as soon as `stop` is set (the work is cancelled)."""
        if stop is None:
            return await work
        task = asyncio.ensure_future(work)
        halt = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({task, halt}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            halt.cancel()
            if not task.done():
                task.cancel()
        if not task.done() or task.cancelled():
            with contextlib.suppress(asyncio.CancelledError):
                await task
            raise _Stopped
        return task.result()

    async def _once(
        self,
        messages: list[dict[str, str]],
        model: str,
        temperature: float,
        on_chunk: ChunkSink | None,
        json_mode: bool = False,
        timeout: float = 0.0,
        stop: asyncio.Event | None = None,
    ) -> Completion:
        litellm = litellm_module(self.cfg.embedded_context, self.cfg.embedded_threads)
        stream = self.cfg.stream and on_chunk is not None
        kwargs = self._kwargs(model, temperature, stream, json_mode, timeout)
        if not stream:
            try:
                async with asyncio.timeout(timeout or self.cfg.timeout_s):
                    resp = await self._until_stopped(
                        litellm.acompletion(messages=messages, **kwargs), stop
                    )
            except _Stopped:
                raise _StreamDropped(Completion("", model, 0, 0), "stopped") from None
            usage = getattr(resp, "usage", None)
            return Completion(
                text=resp.choices[0].message.content or "",
                model=model,
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            )
        parts: list[str] = []
        usage = None
        resp = await litellm.acompletion(messages=messages, **kwargs)

        def so_far() -> Completion:
            return Completion(
                text="".join(parts),
                model=model,
                prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
                completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            )

        async def consume() -> bool:
            nonlocal usage
            finished = False  # a stream is whole only when the model says why it stopped
            async for chunk in resp:
                usage = getattr(chunk, "usage", None) or usage
                if not chunk.choices:
                    continue
                finished = finished or bool(chunk.choices[0].finish_reason)
                text = chunk.choices[0].delta.content or ""
                if text:
                    parts.append(text)
                    assert on_chunk is not None
                    await on_chunk(text)
            return finished

        try:
            # The whole reply, not each read, is bounded: a model that keeps streaming forever
            # is cut at llm.timeout_s like one that never answers.
            async with asyncio.timeout(timeout or self.cfg.timeout_s):
                finished = await self._until_stopped(consume(), stop)
        except _Stopped:
            raise _StreamDropped(so_far(), "stopped") from None
        except TimeoutError as exc:
            if parts:
                raise _StreamDropped(so_far(), "timeout") from exc
            raise
        except Exception as exc:
            if parts:
                raise _StreamDropped(so_far()) from exc
            raise
        # litellm closes a stream that just stopped (no finish reason, no [DONE]) with a
        # finish chunk of its own; what the provider really said is kept on the wrapper.
        said = getattr(resp, "received_finish_reason", "") or getattr(
            resp, "intermittent_finish_reason", ""
        )
        finished = finished if said == "" else said is not None
        if not finished:
            if parts:
                raise _StreamDropped(so_far())
            raise ConnectionError("the model's stream ended without a word")
        return so_far()

    async def complete(
        self,
        messages: list[dict[str, str]],
        model: str,
        temperature: float,
        on_chunk: ChunkSink | None = None,
        *,
        json_mode: bool = False,
        stop: asyncio.Event | None = None,
    ) -> Completion:
        """Reply to `messages`, or raise LLMFailure naming what to do (never a secret). Each
        attempt is bounded by llm.timeout_s, all of them by llm.turn_budget_s; setting `stop`
        ends the generation at once, keeping what was written."""
        chain = [model] + [m for m in self.cfg.fallbacks if m != model]
        first_kind: FailureKind | None = None
        # One budget for the whole turn: retries and fallbacks share it.
        deadline = time.monotonic() + self.cfg.turn_budget_s
        told = False
        for candidate in chain:
            for attempt in range(self.cfg.retries + 1):
                left = deadline - time.monotonic()
                if left <= 0.05:
                    raise LLMFailure(
                        first_kind or "timeout",
                        _message(first_kind or "timeout", model, self.cfg, spent=True),
                    )
                try:
                    return await asyncio.wait_for(
                        self._once(
                            messages,
                            candidate,
                            temperature,
                            on_chunk,
                            json_mode,
                            min(self.cfg.timeout_s, left),
                            stop,
                        ),
                        left + 1.0,  # the attempt's own bound fires first, keeping its text
                    )
                except Exception as exc:  # litellm raises many types; _classify sorts them
                    kind, retry = _classify(exc)
                    first_kind = first_kind or kind
                    log.warning(
                        "model %s failed (%s, %s, attempt %d)",
                        candidate,
                        kind,
                        type(exc).__name__,
                        attempt + 1,
                    )
                    if isinstance(exc, _StreamDropped):
                        cut = bool(exc.partial.text)
                        message = _message(kind, candidate, self.cfg, partial=cut)
                        raise LLMFailure(kind, message, exc.partial) from None
                    if on_chunk is not None and not told:
                        # Say so at once, not after every retry: the final reply replaces it.
                        told = True
                        await on_chunk(STILL_TRYING)
                    if not retry or attempt == self.cfg.retries:
                        break
                    pause = self.cfg.backoff_s * (2**attempt)
                    await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
        assert first_kind is not None
        raise LLMFailure(first_kind, _message(first_kind, model, self.cfg))

    async def validate_model(self, model: str) -> str | None:
        """Why litellm cannot route `model`, or None if it can."""
        if is_embedded(model):
            from bot.embedded import MODELS

            name = model.split("/", 1)[1]
            return None if name in MODELS else f"unknown embedded model '{name}'"
        litellm = litellm_module(self.cfg.embedded_context, self.cfg.embedded_threads)
        try:
            litellm.get_llm_provider(model)
        except Exception:
            return f"litellm does not know the model '{model}' (use provider/model)"
        return None
