"""A small OpenAI-compatible chat server on 127.0.0.1 that records what it receives.

It answers `echo: <last user message>` (streamed or not), transcribes any upload to
`server.transcript` (`/audio/transcriptions`), and can be told to fail the next
requests: "500", "hang" (answer after `hang_s`), "drop" (break the stream mid-way), or "cut"
(end the stream cleanly after two words, without a finish reason or [DONE]).
Run it alone with `python -m tests.support.fake_openai` (prints the port) for benchmarks.
"""

from __future__ import annotations

import json
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # else delayed ACKs add ~40 ms to small responses
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _transcribe(self, raw: bytes) -> None:
        """OpenAI's transcription endpoint: a multipart upload in, {"text": …} out."""
        kind = self.headers.get("Content-Type", "")
        with self.server.lock:
            self.server.uploads.append({"content_type": kind, "body": raw})
        if b'name="model"' not in raw or b'name="file"' not in raw:
            self._json(400, {"error": {"message": "model and file are required"}})
            return
        self._json(200, {"text": self.server.transcript})

    def _chunk(self, payload: str) -> None:
        data = f"data: {payload}\n\n".encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _embeddings(self, body: dict[str, Any]) -> None:
        """A deterministic 8-dim vector per input: letter counts of a few letters."""
        inputs = body.get("input") or []
        inputs = [inputs] if isinstance(inputs, str) else inputs
        data = [
            {
                "object": "embedding",
                "index": i,
                "embedding": [float(str(t).lower().count(c)) + 0.01 for c in "aeiostnr"],
            }
            for i, t in enumerate(inputs)
        ]
        self._json(
            200,
            {
                "object": "list",
                "data": data,
                "model": body.get("model"),
                "usage": {"prompt_tokens": len(inputs), "total_tokens": len(inputs)},
            },
        )

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "test-model", "object": "model"}]})
        else:
            self._json(404, {"error": {"message": "not found"}})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/").endswith("/audio/transcriptions"):
            self._transcribe(raw)
            return
        body = json.loads(raw or b"{}")
        mode = self.server.record(body, dict(self.headers))
        if self.path.rstrip("/").endswith("/embeddings"):
            self._embeddings(body)
            return
        if mode == "500":
            self._json(500, {"error": {"message": "boom", "type": "server_error"}})
            return
        if mode == "hang":
            time.sleep(self.server.hang_s)
        if self.server.jitter_s:  # answers take uneven time, as a real model's do
            time.sleep(self.server.rng.uniform(0, self.server.jitter_s))
        messages = body.get("messages") or []
        last_user = next((m["content"] for m in reversed(messages) if m["role"] == "user"), "")
        text = f"echo: {last_user}"
        if self.server.numbered:  # answers differ each time, as a sampling model's do
            with self.server.lock:
                self.server.answered += 1
                text = f"echo {self.server.answered}: {last_user}"
        if body.get("response_format") and self.server.obedient:
            # The adversary: an instruction-follower that copies every user text it was shown
            # into every field it might be asked for (facts, knowledge, summaries).
            shown = "\n".join(str(m["content"]) for m in messages if m["role"] == "user")
            text = json.dumps(
                {
                    "memories": [{"op": "add", "kind": "fact", "text": shown[:500]}],
                    "knowledge": shown,
                    "experience": shown,
                    "summary": shown,
                }
            )
        elif body.get("response_format"):  # structured-output calls get the scripted JSON
            text = self.server.json_reply()
        prompt_tokens = sum(len(str(m.get("content", ""))) for m in messages) // 4 + 1
        words = text.split(" ")
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": len(words),
            "total_tokens": prompt_tokens + len(words),
        }
        base = {"id": "chatcmpl-test", "created": int(time.time()), "model": body.get("model")}
        if not body.get("stream"):
            if mode == "slow":  # the whole answer takes as long as streaming it would
                time.sleep(self.server.slow_s * len(words))
            if mode == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self._json(
                200,
                {
                    **base,
                    "object": "chat.completion",
                    "usage": usage,
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                },
            )
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = {**base, "object": "chat.completion.chunk"}
        for i, word in enumerate(words):
            if mode == "drop" and i == 2:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)  # no final chunk: a broken stream
                return
            if mode == "cut" and i == 2:  # a clean end of the body, but no finish_reason/[DONE]
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            if mode == "slow":  # a model that takes its time over every word
                time.sleep(self.server.slow_s)
            piece = word if i == 0 else " " + word
            self._chunk(
                json.dumps(
                    {
                        **chunk,
                        "choices": [
                            {"index": 0, "delta": {"content": piece}, "finish_reason": None}
                        ],
                    }
                )
            )
        self._chunk(
            json.dumps({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        )
        if (body.get("stream_options") or {}).get("include_usage"):
            self._chunk(json.dumps({**chunk, "choices": [], "usage": usage}))
        self._chunk("[DONE]")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.script: list[str] = []
        self.hang_s = 5.0
        self.record_requests = True
        self.json_replies: list[str] = []
        self.uploads: list[dict[str, Any]] = []  # transcription requests
        self.transcript = "what did you hear"
        self.obedient = False  # structured answers copy the user text they were shown
        self.jitter_s = 0.0
        self.numbered = False  # "echo N: …": every chat answer differs
        self.slow_s = 0.05  # "slow" mode: the pause before each streamed word
        self.answered = 0
        self.rng = random.Random(7)

    def json_reply(self) -> str:
        with self.lock:
            return self.json_replies.pop(0) if self.json_replies else '{"memories": []}'

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients closing keep-alive connections is normal here

    def record(self, body: dict[str, Any], headers: dict[str, str]) -> str:
        with self.lock:
            if self.record_requests:
                self.requests.append(body)
                self.headers.append(headers)
            return self.script.pop(0) if self.script else "echo"


class FakeOpenAI:
    """Start/stop wrapper; `base_url` goes into llm.api_base."""

    def __init__(self) -> None:
        self.server = _Server()
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[dict[str, Any]]:
        with self.server.lock:
            return list(self.server.requests)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        """Requests other than structured-output (memory extraction) calls."""
        return [r for r in self.requests if not r.get("response_format")]

    def json_next(self, *texts: str) -> None:
        """Answer the next structured-output (response_format) requests with these texts."""
        with self.server.lock:
            self.server.json_replies.extend(texts)

    def fail_next(self, *modes: str) -> None:
        """Make the next requests behave as `modes` ("500", "hang", "drop", "cut", "slow",
        "echo")."""
        with self.server.lock:
            self.server.script.extend(modes)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


if __name__ == "__main__":
    fake = FakeOpenAI()
    fake.server.record_requests = False
    print(fake.port, flush=True)
    try:
        fake.server.serve_forever()
    except KeyboardInterrupt:
        sys.exit(0)
