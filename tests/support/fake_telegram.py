"""A loopback Bot API server: serves what the Telegram adapter calls and records every call.

The real python-telegram-bot `Application` polls it (`getUpdates`) for scripted updates and
sends to it, form-encoded or multipart, exactly as it would to api.telegram.org.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from tests.support.loopback import serve

TOKEN = "123456:TEST-token"
BOT = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Persona Bot",
    "username": "persona_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_ids = itertools.count(1000)


@dataclass
class Call:
    """One Bot API request."""

    method: str
    params: dict[str, Any]
    files: list[str] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)  # the files' bytes, in order
    at: float = field(default_factory=time.monotonic)
    result: Any = None

    @property
    def text(self) -> str:
        """The text sent or edited, if any."""
        return str(self.params.get("text", ""))

    def json(self, key: str) -> Any:
        """A parameter PTB sent JSON-encoded (reply_markup, commands, …)."""
        value = self.params.get(key)
        return json.loads(value) if isinstance(value, str) else value


def photo_problem(data: bytes) -> str:
    """Why the Bot API's sendPhoto refuses these bytes (its documented limits: at most 10 MB,
    width + height at most 10000, a side ratio at most 20), or ""."""
    if len(data) > 10 * 1024 * 1024:
        return "file is too big"
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError):
        return "IMAGE_PROCESS_FAILED"
    if width + height > 10_000 or max(width, height) > 20 * min(width, height):
        return "PHOTO_INVALID_DIMENSIONS"
    return ""


@dataclass
class FakeBotAPI:
    """Bot API methods on 127.0.0.1, with a queue of updates for getUpdates."""

    calls: list[Call] = field(default_factory=list)
    admins: set[int] = field(default_factory=set)  # users getChatMember calls administrators
    files: dict[str, bytes] = field(default_factory=dict)  # file_id → content (getFile)
    base: str = ""
    # method → retry_after seconds to answer its next calls with (429 flood control), in order
    flood: dict[str, list[int]] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _next_update: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)  # any call, any update
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)  # a new update only
    _runner: web.AppRunner | None = None

    async def start(self, control: bool = False) -> FakeBotAPI:
        """Listen on a free loopback port; with `control`, also take updates and report sent
        texts over HTTP (`POST /_push`, `GET /_texts?since=N`: a benchmark in another
        process drives it)."""
        app = web.Application()
        app.router.add_route("POST", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{path:.*}", self._file)
        if control:
            app.router.add_route("POST", "/_push", self._push_many)
            app.router.add_route("GET", "/_texts", self._texts)
        self._runner, self.base = await serve(app)
        return self

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()

    def push(self, update: dict[str, Any]) -> int:
        """Queue an update for the next getUpdates; returns its update_id."""
        update_id = next(self._next_update)
        self._updates.append({"update_id": update_id, **update})
        self._changed.set()
        self._arrived.set()
        return update_id

    def find(self, method: str) -> list[Call]:
        """Calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    async def wait_for(self, method: str, count: int = 1, timeout: float = 15) -> list[Call]:
        """Until at least `count` calls of `method` were made."""

        async def until() -> list[Call]:
            while len(found := self.find(method)) < count:
                self._changed.clear()
                await self._changed.wait()
            return found

        return await asyncio.wait_for(until(), timeout)

    async def fetched(self, update_id: int, timeout: float = 15) -> None:
        """Until the bot has acknowledged `update_id` (asked for updates after it)."""

        async def until() -> None:
            while not any(
                int(c.params.get("offset") or 0) > update_id for c in self.find("getUpdates")
            ):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)

    # -- control, for a driver in another process -----------------------------------------

    async def _push_many(self, request: web.Request) -> web.Response:
        ids = [self.push(update) for update in await request.json()]
        return web.json_response({"last": ids[-1] if ids else 0})

    async def _texts(self, request: web.Request) -> web.Response:
        """Texts sent or edited since call number `since`, in the order they arrived, and the
        number of calls by method."""
        since = int(request.query.get("since", "0"))
        texts = [
            [int(c.params.get("chat_id") or 0), c.text]
            for c in self.calls[since:]
            if c.method in ("sendMessage", "editMessageText")
        ]
        methods: dict[str, int] = {}
        for c in self.calls:
            methods[c.method] = methods.get(c.method, 0) + 1
        return web.json_response({"calls": len(self.calls), "texts": texts, "methods": methods})

    # -- the API --------------------------------------------------------------------------

    async def _file(self, request: web.Request) -> web.Response:
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        if file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id])

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], list[str], list[bytes]]:
        if request.content_type.startswith("multipart/"):
            params: dict[str, Any] = {}
            files, uploads = [], []
            async for part in await request.multipart():
                if part.filename:  # type: ignore[union-attr]
                    files.append(part.filename)  # type: ignore[union-attr]
                    uploads.append(bytes(await part.read()))  # type: ignore[union-attr]
                else:
                    params[part.name or ""] = await part.text()  # type: ignore[union-attr]
            return params, files, uploads
        if request.content_type == "application/json":
            return await request.json(), [], []
        return dict(await request.post()), [], []

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params, files, uploads = await self._params(request)
        call = Call(method, params, files, uploads)
        waits = self.flood.get(method)
        if waits:
            # The Bot API's flood control: 429, with how long to wait in parameters.retry_after.
            wait = waits.pop(0)
            self.calls.append(call)
            self._changed.set()
            body = {
                "ok": False,
                "error_code": 429,
                "description": f"Too Many Requests: retry after {wait}",
                "parameters": {"retry_after": wait},
            }
            return web.json_response(body, status=429)
        refused = photo_problem(uploads[0]) if method == "sendPhoto" and uploads else ""
        if method == "setMyCommands" and len(json.loads(params.get("commands", "[]"))) > 100:
            refused = "BOT_COMMANDS_TOO_MUCH"  # the Bot API's limit: at most 100 commands
        if refused:
            self.calls.append(call)
            self._changed.set()
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {refused}"}
            return web.json_response(body, status=400)
        if method == "getUpdates":
            result: Any = await self._get_updates(params)
        else:
            result = self._result(method, params, files)
        call.result = result
        self.calls.append(call)
        self._changed.set()
        return web.json_response({"ok": True, "result": result})

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates:
            # Long polling, as Telegram does: answered when an update arrives (not when the
            # bot sends something), kept short so tests and shutdown stay quick.
            self._arrived.clear()
            timeout = min(float(params.get("timeout") or 0), 0.2)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), timeout)
        return list(self._updates)

    def _message(self, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
        chat_id = int(params.get("chat_id") or 0)
        kind = "private" if chat_id > 0 else "supergroup"
        return {
            "message_id": int(params.get("message_id") or next(_ids)),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": kind},
            "from": BOT,
            **extra,
        }

    def _result(self, method: str, params: dict[str, Any], files: list[str]) -> Any:
        if method == "getMe":
            return BOT
        if method in ("sendMessage", "editMessageText"):
            return self._message(params, text=params.get("text", ""))
        if method == "editMessageReplyMarkup":
            return self._message(params, text="")
        if method == "sendVoice":
            voice = {"file_id": "v1", "file_unique_id": "v1", "duration": 1}
            return self._message(params, voice=voice)
        if method == "sendPhoto":
            sizes = [{"file_id": "p1", "file_unique_id": "p1", "width": 90, "height": 90}]
            return self._message(params, photo=sizes)
        if method == "sendDocument":
            doc = {"file_id": "d1", "file_unique_id": "d1", "file_name": files[0] if files else ""}
            return self._message(params, document=doc)
        if method == "getFile":
            file_id = str(params["file_id"])
            size = len(self.files.get(file_id, b""))
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": size,
                "file_path": f"voice/{file_id}",
            }
        if method == "getChatMember":
            user_id = int(params["user_id"])
            status = "administrator" if user_id in self.admins else "member"
            member: dict[str, Any] = {
                "status": status,
                "user": {"id": user_id, "is_bot": False, "first_name": "U"},
            }
            if status == "administrator":
                member |= {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            return member
        # setMyCommands, deleteWebhook, sendChatAction, answerCallbackQuery, close, logOut …
        return True


def user(uid: int, name: str) -> dict[str, Any]:
    """A Telegram user."""
    return {"id": uid, "is_bot": False, "first_name": name}


def message(
    sender: dict[str, Any],
    text: str,
    *,
    chat_id: int | None = None,
    reply_to: dict[str, Any] | None = None,
    mention: str | None = None,
) -> dict[str, Any]:
    """A `message` update: a DM (default) or, with a negative chat_id, a group message."""
    chat_id = sender["id"] if chat_id is None else chat_id
    chat: dict[str, Any] = (
        {"id": chat_id, "type": "private", "first_name": sender["first_name"]}
        if chat_id > 0
        else {"id": chat_id, "type": "supergroup", "title": "Test group"}
    )
    msg: dict[str, Any] = {
        "message_id": next(_ids),
        "date": int(time.time()),
        "chat": chat,
        "from": sender,
        "text": text,
    }
    entities = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    if mention and mention in text:
        entities.append({"type": "mention", "offset": text.index(mention), "length": len(mention)})
    if entities:
        msg["entities"] = entities
    if reply_to is not None:
        msg["reply_to_message"] = reply_to
    return {"message": msg}


def press(sender: dict[str, Any], data: str, on: dict[str, Any]) -> dict[str, Any]:
    """A `callback_query` update: `sender` pressed a button carrying `data` under message `on`."""
    return {
        "callback_query": {
            "id": str(next(_ids)),
            "from": sender,
            "chat_instance": "ci",
            "data": data,
            "message": on,
        }
    }


def voice_note(
    sender: dict[str, Any], file_id: str, caption: str = "", file_size: int | None = None
) -> dict[str, Any]:
    """A `message` update carrying a voice note (a DM); Telegram declares its size."""
    update = message(sender, "")
    msg = update["message"]
    del msg["text"]
    msg["voice"] = {
        "file_id": file_id,
        "file_unique_id": file_id,
        "duration": 2,
        "mime_type": "audio/ogg",
    }
    if file_size is not None:
        msg["voice"]["file_size"] = file_size
    if caption:
        msg["caption"] = caption
    return update


def document(
    sender: dict[str, Any], file_id: str, file_name: str, mime_type: str, caption: str = ""
) -> dict[str, Any]:
    """A `message` update carrying a file sent as a document (a DM), the Bot API's Document."""
    update = message(sender, "")
    msg = update["message"]
    del msg["text"]
    msg["document"] = {
        "file_id": file_id,
        "file_unique_id": file_id,
        "file_name": file_name,
        "mime_type": mime_type,
    }
    if caption:
        msg["caption"] = caption
    return update


def photo(
    sender: dict[str, Any], file_ids: list[str], size: tuple[int, int], caption: str = ""
) -> dict[str, Any]:
    """A `message` update carrying a photo: the Bot API's array of PhotoSize, smallest first
    (Telegram re-encodes photos as JPEG in several sizes; the last is the largest)."""
    update = message(sender, "")
    msg = update["message"]
    del msg["text"]
    width, height = size
    count = len(file_ids)
    msg["photo"] = [
        {
            "file_id": fid,
            "file_unique_id": fid,
            "width": width * (i + 1) // count,
            "height": height * (i + 1) // count,
        }
        for i, fid in enumerate(file_ids)
    ]
    if caption:
        msg["caption"] = caption
    return update


async def _serve_forever() -> None:
    api = await FakeBotAPI().start(control=True)
    print(api.base, flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":  # a process of its own: python -m tests.support.fake_telegram
    asyncio.run(_serve_forever())
