"""Model failures: the message is kept, the reply is a clear sentence, the next turn works."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import build_core
from bot.core import Core
from bot.llm import STILL_TRYING
from storage.keys import OwnerKey
from tests.conftest import make_settings, who
from tests.support.fake_openai import FakeOpenAI


async def _turns(core: Core, adapter: Any) -> list[tuple[str, str]]:
    ctx = await core.context(adapter.who)
    persona = await core.personas.active(ctx)
    return [
        (t.role, t.content) for t in await core.turns.recent(OwnerKey(ctx.user_id, persona.id), 50)
    ]


@pytest.mark.parametrize("stream", [True, False])
async def test_server_error_keeps_the_message(
    core: Core, user: Any, fake_llm: FakeOpenAI, stream: bool
) -> None:
    alice = user("alice", stream=stream)
    fake_llm.fail_next("500", "500")  # retries=1: both attempts fail
    reply = await alice.say("are you there?")
    assert reply.error
    assert "failed to answer" in reply.text and "Your message is saved" in reply.text
    assert len(fake_llm.requests) == 2  # one call plus one retry, then give up
    assert await _turns(core, alice) == [("user", "are you there?")]
    ok = await alice.say("second try")
    assert ok.text == "echo: second try" and not ok.error
    # The unanswered message is still part of the conversation the model sees.
    contents = [m["content"] for m in fake_llm.requests[-1]["messages"]]
    assert "are you there?" in contents


async def test_one_budget_bounds_every_retry_and_fallback(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    """Six tries of a 1 s timeout would keep the user waiting 6 s and more; the turn's budget
    (1.5 s) stops it after the second and says so."""
    settings = make_settings(
        tmp_path,
        fake_llm.base_url,
        llm={
            "timeout_s": 1,
            "retries": 2,
            "backoff_s": 0.01,
            "turn_budget_s": 1.5,
            "fallbacks": ["openai/backup-model"],
        },
    )
    fake_llm.server.hang_s = 4
    core = build_core(settings)
    await core.start()
    try:
        fake_llm.fail_next(*["hang"] * 6)
        reply = await core.handle_text(who("alice"), "are you there?")
        assert reply.error and "could not answer within 1.5s" in reply.text
        assert "llm.turn_budget_s" in reply.text
        assert len(fake_llm.chat_requests) == 2  # not 3 tries × 2 models
    finally:
        await core.close()


async def test_a_retry_recovers_from_one_error(
    core: Core, user: Any, fake_llm: FakeOpenAI
) -> None:
    alice = user("alice")
    fake_llm.fail_next("500")
    reply = await alice.say("hello")
    assert reply.text == "echo: hello" and not reply.error
    assert len(fake_llm.requests) == 2
    # The user heard at once that it is taking longer; the reply itself is clean.
    assert alice.chunks[0] == STILL_TRYING and "".join(alice.chunks[1:]) == "echo: hello"


async def test_timeout_is_reported_with_the_setting(tmp_path: Path, fake_llm: FakeOpenAI) -> None:
    settings = make_settings(tmp_path, fake_llm.base_url, llm={"timeout_s": 0.3, "retries": 0})
    fake_llm.server.hang_s = 1.5
    core = build_core(settings)
    await core.start()
    try:
        fake_llm.fail_next("hang")
        reply = await core.handle_text(who("alice"), "slow question")
        assert reply.error and "did not answer within 0.3s" in reply.text
        assert "llm.timeout_s" in reply.text
        nxt = await core.handle_text(who("alice"), "next")
        assert nxt.text == "echo: next"
    finally:
        await core.close()


@pytest.mark.parametrize("how", ["drop", "cut"])
async def test_a_broken_stream_is_kept_as_cut_not_as_a_reply(
    core: Core, user: Any, fake_llm: FakeOpenAI, how: str
) -> None:
    """A stream that breaks ("drop") or just stops without a finish reason ("cut") is not a
    whole reply: the user is told, and what arrived is kept, marked as cut off."""
    alice = user("alice")
    fake_llm.fail_next(how)
    reply = await alice.say("tell me a long story")
    assert reply.error and "dropped mid-reply" in reply.text
    assert "".join(alice.chunks) == "echo: tell"  # the two words that arrived
    assert await _turns(core, alice) == [
        ("user", "tell me a long story"),
        ("assistant", "echo: tell"),
    ]
    ctx = await core.context(alice.who)
    owner = OwnerKey(ctx.user_id, (await core.personas.active(ctx)).id)
    assert [t.status for t in await core.turns.recent(owner, 5)] == ["done", "cut"]
    ok = await alice.say("again please")
    assert ok.text == "echo: again please"
    prompt = fake_llm.chat_requests[-1]["messages"]
    assert {"role": "assistant", "content": "echo: tell [cut off]"} in prompt


async def test_fallback_model_answers_when_the_main_one_fails(
    tmp_path: Path, fake_llm: FakeOpenAI
) -> None:
    settings = make_settings(
        tmp_path, fake_llm.base_url, llm={"retries": 0, "fallbacks": ["openai/backup-model"]}
    )
    core = build_core(settings)
    await core.start()
    try:
        fake_llm.fail_next("500")
        reply = await core.handle_text(who("alice"), "hi")
        assert reply.text == "echo: hi"
        assert [r["model"] for r in fake_llm.requests] == ["test-model", "backup-model"]
        ctx = await core.context(who("alice"))
        persona = await core.personas.active(ctx)
        turns = await core.turns.recent(OwnerKey(ctx.user_id, persona.id), 5)
        assert turns[-1].model == "openai/backup-model"
    finally:
        await core.close()


async def test_unreachable_model_explains_how_to_configure(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, "http://127.0.0.1:9/v1", llm={"retries": 0})
    core = build_core(settings)
    await core.start()
    try:
        listing = await core.handle_text(who("alice"), "/persona list")
        assert not listing.error and "assistant" in listing.text  # commands still work
        reply = await core.handle_text(who("alice"), "hello?")
        assert reply.error
        assert "can't reach the model `openai/test-model`" in reply.text
        assert "llm.model" in reply.text and "llm.api_base" in reply.text
        assert "\n" not in reply.text and "Traceback" not in reply.text
    finally:
        await core.close()


async def test_auth_failure_names_no_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A real local server that refuses every key with 401, like a provider does.
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen_auth: list[str] = []

    class Deny(BaseHTTPRequestHandler):
        def log_message(self, *a: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen_auth.append(self.headers.get("Authorization", ""))
            body = b'{"error": {"message": "Incorrect API key", "type": "invalid_request_error"}}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Deny)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    secret = "sk-test-SECRET-value-1234567890"
    monkeypatch.setenv("MY_LLM_KEY", secret)
    settings = make_settings(
        tmp_path,
        f"http://127.0.0.1:{server.server_address[1]}/v1",
        llm={"api_key_env": "MY_LLM_KEY"},
    )
    core = build_core(settings)
    await core.start()
    try:
        reply = await core.handle_text(who("alice"), "hi")
        assert reply.error and "refused the credentials" in reply.text
        assert secret not in reply.text
        assert seen_auth == [f"Bearer {secret}"]  # the key came from llm.api_key_env, once
    finally:
        await core.close()
        server.shutdown()


async def test_a_local_server_never_gets_another_providers_key(
    tmp_path: Path, fake_llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-real-openai-key-000000")
    monkeypatch.delenv("HOSTED_VLLM_API_KEY", raising=False)
    settings = make_settings(tmp_path, fake_llm.base_url, llm={"model": "hosted_vllm/local"})
    core = build_core(settings)
    await core.start()
    try:
        reply = await core.handle_text(who("alice"), "hi")
        assert reply.text == "echo: hi"
        headers = {k.lower(): v for k, v in fake_llm.server.headers[-1].items()}
        assert headers["authorization"] == "Bearer sk-no-key-needed"
        assert all("sk-real-openai-key" not in v for v in headers.values())
    finally:
        await core.close()


@pytest.mark.parametrize("sdk", [False, True])
async def test_openai_models_go_through_the_client_the_config_names(
    tmp_path: Path, fake_llm: FakeOpenAI, sdk: bool
) -> None:
    """llm.openai_sdk picks the OpenAI SDK (its X-Stainless headers) or litellm's own HTTP
    client; either way the request, the streamed reply and the usage are the same."""
    settings = make_settings(tmp_path, fake_llm.base_url, llm={"openai_sdk": sdk})
    core = build_core(settings)
    await core.start()
    try:
        parts: list[str] = []

        async def sink(text: str) -> None:
            parts.append(text)

        reply = await core.handle_text(who("alice"), "hello there", sink)
        assert reply.text == "echo: hello there" == "".join(parts).strip()
        headers = {k.lower() for k in fake_llm.server.headers[-1]}
        assert any(h.startswith("x-stainless") for h in headers) is sdk
        body = fake_llm.chat_requests[-1]
        said = [m["content"] for m in body["messages"] if m["role"] == "user"]
        assert said[-1].endswith("hello there")
        assert body["stream"] is True
    finally:
        await core.close()
