"""A loopback stand-in for the ElevenLabs API paths the SDK uses, recording every request."""

from __future__ import annotations

import itertools
import math
import struct
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.support.loopback import serve

PREMADE = [
    {"voice_id": "21m00Tcm4TlvDq8ikWAM", "name": "Rachel", "category": "premade"},
    {"voice_id": "pNInz6obpgDQGcFmaJgB", "name": "Adam", "category": "premade"},
]


def tone(seconds: float, rate: int = 24000) -> bytes:
    """Raw 16-bit mono PCM of a quiet 220 Hz tone (what pcm_24000 returns)."""
    count = int(seconds * rate)
    return b"".join(
        struct.pack("<h", int(3000 * math.sin(2 * math.pi * 220 * i / rate))) for i in range(count)
    )


@dataclass
class Seen:
    """One request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    files: list[tuple[str, int]] = field(default_factory=list)  # (filename, bytes)


@dataclass
class FakeElevenLabs:
    """text-to-speech, voices list, instant voice clone (add) and delete."""

    seen: list[Seen] = field(default_factory=list)
    voices: list[dict[str, Any]] = field(default_factory=lambda: list(PREMADE))
    fail: list[int] = field(default_factory=list)  # HTTP statuses for the next requests
    base: str = ""
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None

    async def start(self) -> FakeElevenLabs:
        """Listen on a free loopback port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner, self.base = await serve(app)
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    def of(self, method: str, prefix: str) -> list[Seen]:
        """Requests of one method whose path starts with `prefix`."""
        return [s for s in self.seen if s.method == method and s.path.startswith(prefix)]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        seen = Seen(request.method, request.path, dict(request.query), dict(request.headers))
        if request.content_type.startswith("multipart/"):
            async for part in await request.multipart():
                data = await part.read()  # type: ignore[union-attr]
                if part.filename:  # type: ignore[union-attr]
                    seen.files.append((part.filename, len(data)))  # type: ignore[union-attr]
                else:
                    seen.form[part.name or ""] = data.decode()  # type: ignore[union-attr]
        elif request.can_read_body:
            seen.json = await request.json()
        self.seen.append(seen)
        if self.fail:
            status = self.fail.pop(0)
            return web.json_response({"detail": {"status": "error"}}, status=status)
        if request.headers.get("xi-api-key") != "test-eleven-key":
            return web.json_response({"detail": {"status": "invalid_api_key"}}, status=401)
        path = request.path
        if request.method == "POST" and path.startswith("/v1/text-to-speech/"):
            text = (seen.json or {}).get("text", "")
            return web.Response(body=tone(0.05 * max(1, len(text.split()))))
        if request.method == "GET" and path == "/v1/voices":
            return web.json_response({"voices": self.voices})
        if request.method == "POST" and path == "/v1/voices/add":
            voice_id = f"cloned-{next(self._ids)}"
            self.voices.append({"voice_id": voice_id, "name": seen.form.get("name", "")})
            return web.json_response({"voice_id": voice_id, "requires_verification": False})
        if request.method == "DELETE" and path.startswith("/v1/voices/"):
            voice_id = path.rsplit("/", 1)[1]
            self.voices = [v for v in self.voices if v["voice_id"] != voice_id]
            return web.json_response({"status": "ok"})
        return web.json_response({"detail": "not faked"}, status=404)
