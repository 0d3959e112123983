"""A loopback stand-in for Discord's REST API, plus gateway payloads shaped like Discord's.

discord.py talks HTTP to it (Route.BASE is pointed here) exactly as it would to discord.com; the
tests feed gateway events to the client's own dispatch parsers, the way its websocket does.
Every request is recorded as a `Call` for the tests to assert on.
"""

from __future__ import annotations

import asyncio
import base64
import fnmatch
import hashlib
import itertools
import json
import math
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.support.loopback import serve

APP_ID = 900000000000000001
BOT_ID = 900000000000000002
GUILD_ID = 800000000000000001
CONTENT_INTENT = 1 << 18  # GATEWAY_MESSAGE_CONTENT application flag
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 31)  # view, send messages, use commands
_ids = itertools.count(700000000000000001)


def _json(data: Any, status: int = 200) -> web.Response:
    # Exactly "application/json", as Discord sends: discord.py compares the header verbatim.
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={"Content-Type": "application/json"}
    )


def snowflake() -> int:
    """A fresh id."""
    return next(_ids)


def user(uid: int, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A Discord user object."""
    return {
        "id": str(uid),
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
    }


BOT_USER = user(BOT_ID, "personabot", bot=True)


@dataclass
class Call:
    """One request discord.py made."""

    method: str
    path: str
    body: Any
    query: dict[str, str]
    files: list[str] = field(default_factory=list)
    at: float = field(default_factory=time.monotonic)
    response: Any = None  # the JSON we answered with

    @property
    def content(self) -> str:
        """The message text in the request, if any."""
        if not isinstance(self.body, dict):
            return ""
        data = self.body.get("data", self.body)
        return str((data or {}).get("content") or "")


@dataclass(frozen=True)
class Shown:
    """A message posted through a webhook: the name and avatar members saw on it."""

    webhook_id: int
    username: str
    avatar_url: str | None  # the per-message override, if one was sent
    avatar: bytes | None  # else the webhook's own avatar at that moment (None: Discord's default)


# Discord's documented rules (Create Webhook, Image Data): a name of 1-80 characters without
# "clyde" or "discord"; an avatar as a base64 data URI; at most 15 webhooks per channel.
IMAGE_DATA = re.compile(r"data:image/(png|jpeg|gif|webp);base64,([A-Za-z0-9+/=]+)")
MAX_WEBHOOKS = 15


def _webhook_problem(body: dict[str, Any]) -> web.Response | None:
    name = body.get("name")
    if name is not None and (
        not 1 <= len(name) <= 80 or "clyde" in name.lower() or "discord" in name.lower()
    ):
        return _json({"message": "Invalid Form Body", "code": 50035}, status=400)
    avatar = body.get("avatar")
    if avatar is not None and not IMAGE_DATA.fullmatch(avatar):
        return _json({"message": "Invalid Form Body", "code": 50035}, status=400)
    return None


def _image(value: str | None) -> bytes | None:
    match = IMAGE_DATA.fullmatch(value or "")
    return base64.b64decode(match.group(2)) if match else None


@dataclass
class FakeDiscord:
    """Serves the REST routes the adapter uses; records every call."""

    app_flags: int = CONTENT_INTENT
    calls: list[Call] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)  # every file's bytes, in order
    no_webhooks: set[int] = field(default_factory=set)  # channels answering 403
    webhooks: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    avatars: dict[int, bytes] = field(default_factory=dict)  # webhook id → its default avatar
    shown: list[Shown] = field(default_factory=list)  # every webhook post, as members saw it
    global_commands: list[dict[str, Any]] = field(default_factory=list)
    guild_commands: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    cdn: dict[str, bytes] = field(default_factory=dict)  # uploaded attachments by file name
    # "POST webhooks/*" → retry_after seconds to answer the next matching calls with (429)
    flood: dict[str, list[float]] = field(default_factory=dict)
    base: str = ""
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> FakeDiscord:
        """Listen on 127.0.0.1 (a free port)."""
        app = web.Application()
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        app.router.add_route("GET", "/cdn/{name}", self._cdn)
        self._runner, root = await serve(app)
        self.base = f"{root}/api/v10"
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    async def _cdn(self, request: web.Request) -> web.Response:
        self.calls.append(Call("GET", f"cdn/{request.match_info['name']}", None, {}))
        data = self.cdn.get(request.match_info["name"])
        return web.Response(body=data) if data is not None else web.Response(status=404)

    def attachment(self, name: str, data: bytes, content_type: str) -> dict[str, Any]:
        """An attachment object whose URL this server serves (Discord's CDN, here)."""
        self.cdn[name] = data
        url = f"{self.base.rsplit('/api', 1)[0]}/cdn/{name}"
        return {
            "id": str(snowflake()),
            "filename": name,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        }

    # -- what tests look at --------------------------------------------------------------

    def find(self, method: str, pattern: str) -> list[Call]:
        """Calls whose method matches and whose path matches the regex."""
        rx = re.compile(pattern)
        return [c for c in self.calls if c.method == method and rx.search(c.path)]

    async def wait_for(self, method: str, pattern: str, count: int = 1, timeout: float = 10.0):
        """Wait until at least `count` matching calls were made; returns them."""

        async def until() -> list[Call]:
            while len(found := self.find(method, pattern)) < count:
                self._changed.clear()
                await self._changed.wait()
            return found

        return await asyncio.wait_for(until(), timeout)

    # -- the API ---------------------------------------------------------------------------

    async def _body(self, request: web.Request) -> tuple[Any, list[str]]:
        if request.content_type.startswith("multipart/"):
            body: Any = None
            files: list[str] = []
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body = json.loads(await part.text())  # type: ignore[union-attr]
                else:
                    files.append(part.filename or "")  # type: ignore[union-attr]
                    self.uploads.append(bytes(await part.read()))  # type: ignore[union-attr]
            return body, files
        raw = await request.read()
        return (json.loads(raw) if raw else None), []

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["tail"]
        body, files = await self._body(request)
        call = Call(request.method, path, body, dict(request.query), files)
        response = self._flooded(call) or self._route(call)
        if response.body:
            call.response = json.loads(response.body)  # type: ignore[arg-type]
        self.calls.append(call)
        self._changed.set()
        return response

    def _flooded(self, call: Call) -> web.Response | None:
        """A 429 as Discord's rate limits answer it: retry_after in the body and headers."""
        for key, waits in self.flood.items():
            method, pattern = key.split(" ", 1)
            if waits and call.method == method and fnmatch.fnmatch(call.path, pattern):
                wait = waits.pop(0)
                body = {"message": "You are being rate limited.", "retry_after": wait}
                headers = {
                    "Retry-After": str(math.ceil(wait)),
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(wait),
                    "X-RateLimit-Bucket": "fake-bucket",
                    "X-RateLimit-Scope": "user",
                    # Discord's own 429s come through its proxy; one without Via is a
                    # Cloudflare ban, which clients must not retry (discord.py checks this).
                    "Via": "1.1 google",
                }
                answer = _json({**body, "global": False}, status=429)
                answer.headers.update(headers)
                return answer
        return None

    def _paint(self, hook: dict[str, Any], avatar: str | None) -> None:
        """Set a webhook's default avatar from image data (None: back to Discord's default)."""
        image = _image(avatar)
        hook["avatar"] = hashlib.md5(image).hexdigest() if image else None
        if image:
            self.avatars[int(hook["id"])] = image
        else:
            self.avatars.pop(int(hook["id"]), None)

    def _message(self, channel_id: int | str, content: str, **extra: Any) -> dict[str, Any]:
        return {
            "id": str(snowflake()),
            "channel_id": str(channel_id),
            "author": BOT_USER,
            "content": content,
            "timestamp": datetime.now(UTC).isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            "type": 0,
            "flags": 0,
            "components": [],
            **extra,
        }

    def _route(self, call: Call) -> web.Response:
        m, p, body = call.method, call.path, call.body or {}
        if m == "GET" and p == "users/@me":
            return _json(BOT_USER)
        if m == "GET" and p == "oauth2/applications/@me":
            return _json(
                {
                    "id": str(APP_ID),
                    "name": "personabot",
                    "icon": None,
                    "description": "",
                    "rpc_origins": [],
                    "bot_public": True,
                    "bot_require_code_grant": False,
                    "owner": user(1, "owner"),
                    "summary": "",
                    "verify_key": "00",
                    "flags": self.app_flags,
                }
            )
        if m == "GET" and (match := re.fullmatch(r"users/(\d+)", p)):
            return _json(user(int(match.group(1)), "someone"))
        if m == "GET" and p == "users/@me/guilds":
            return _json(
                [
                    {
                        "id": str(GUILD_ID),
                        "name": "Test",
                        "icon": None,
                        "owner": False,
                        "permissions": "0",
                        "features": [],
                    }
                ]
            )
        if match := re.fullmatch(r"interactions/(\d+)/[^/]+/callback", p):
            kind = body.get("type")
            data = body.get("data") or {}
            message = None
            if kind in (4, 7):
                message = self._message(0, data.get("content", ""), flags=data.get("flags", 0))
            return _json(
                {
                    "interaction": {
                        "id": match.group(1),
                        "type": 2,
                        "response_message_id": message["id"] if message else None,
                        "response_message_loading": kind == 5,
                        "response_message_ephemeral": bool(data.get("flags", 0) & 64),
                    },
                    "resource": {"type": kind, **({"message": message} if message else {})},
                }
            )
        if match := re.fullmatch(r"webhooks/(\d+)", p):  # modify a webhook (the bot's auth)
            hook_id = int(match.group(1))
            found = [
                h for hooks in self.webhooks.values() for h in hooks if int(h["id"]) == hook_id
            ]
            if not found:
                return _json({"message": "Unknown Webhook", "code": 10015}, status=404)
            if problem := _webhook_problem(body):
                return problem
            if "name" in body:
                found[0]["name"] = body["name"]
            if "avatar" in body:
                self._paint(found[0], body["avatar"])
            return _json(found[0])
        if match := re.fullmatch(r"webhooks/(\d+)/([^/]+)(/messages/([^/]+))?", p):
            hook_id = int(match.group(1))
            author = BOT_USER
            for hooks in self.webhooks.values():
                for hook in hooks:
                    if int(hook["id"]) == hook_id:
                        author = {**user(hook_id, body.get("username") or hook["name"], bot=True)}
            content = body.get("content", "") or ""
            if m == "POST":
                self.shown.append(
                    Shown(
                        hook_id,
                        str(author.get("username", "")),
                        body.get("avatar_url"),
                        self.avatars.get(hook_id),
                    )
                )
                return _json(self._message(0, content, webhook_id=str(hook_id), author=author))
            if m in ("PATCH", "GET"):
                msg = self._message(0, content, webhook_id=str(hook_id), author=author)
                if match.group(4) not in (None, "@original"):
                    msg["id"] = match.group(4)
                return _json(msg)
            return web.Response(status=204)
        if match := re.fullmatch(r"channels/(\d+)/messages/\d+/threads", p):
            return _json(
                {
                    "id": str(snowflake()),
                    "type": 11,
                    "guild_id": str(GUILD_ID),
                    "parent_id": match.group(1),
                    "owner_id": str(BOT_ID),
                    "name": body.get("name"),
                    "message_count": 0,
                    "member_count": 1,
                    "rate_limit_per_user": 0,
                    "thread_metadata": {
                        "archived": False,
                        "auto_archive_duration": body.get("auto_archive_duration", 1440),
                        "archive_timestamp": datetime.now(UTC).isoformat(),
                        "locked": False,
                    },
                }
            )
        if match := re.fullmatch(r"channels/(\d+)/messages(/(\d+))?", p):
            msg = self._message(match.group(1), body.get("content", "") or "")
            if match.group(3):
                msg["id"] = match.group(3)
            return _json(msg)
        if re.fullmatch(r"channels/\d+/typing", p):
            return web.Response(status=204)
        if match := re.fullmatch(r"channels/(\d+)/webhooks", p):
            cid = int(match.group(1))
            if cid in self.no_webhooks:
                return _json({"message": "Missing Permissions", "code": 50013}, status=403)
            hooks = self.webhooks.setdefault(cid, [])
            if m == "GET":
                return _json(hooks)
            if problem := _webhook_problem(body):
                return problem
            if len(hooks) >= MAX_WEBHOOKS:
                return _json(
                    {"message": "Maximum number of webhooks reached (15)", "code": 30007},
                    status=400,
                )
            hook = {
                "id": str(snowflake()),
                "type": 1,
                "channel_id": str(cid),
                "guild_id": str(GUILD_ID),
                "name": body.get("name"),
                "avatar": None,
                "token": "hooktoken",
                "application_id": str(APP_ID),
                "user": BOT_USER,
            }
            self._paint(hook, body.get("avatar"))
            hooks.append(hook)
            return _json(hook)
        if match := re.fullmatch(r"applications/\d+(/guilds/(\d+))?/commands", p):
            if m == "PUT":
                stored = [
                    {**c, "id": str(snowflake()), "application_id": str(APP_ID), "version": "1"}
                    for c in body
                ]
                if match.group(2):
                    self.guild_commands[int(match.group(2))] = stored
                else:
                    self.global_commands = stored
                return _json(stored)
            if match.group(2):
                return _json(self.guild_commands.get(int(match.group(2)), []))
            return _json(self.global_commands)
        if m == "POST" and p == "users/@me/channels":
            return _json(
                {
                    "id": str(snowflake()),
                    "type": 1,
                    "recipients": [user(int(body["recipient_id"]), "someone")],
                }
            )
        return _json({"message": f"not faked: {m} {p}", "code": 0}, status=404)
