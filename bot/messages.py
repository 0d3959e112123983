"""The frozen values that cross the adapter boundary: Incoming / CommandCall in, Reply out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SpaceKind = Literal["dm", "group", "console"]


@dataclass(frozen=True)
class Who:
    """Who is talking and where: the identity an adapter vouches for."""

    platform: str  # console | discord | telegram | test
    user_ref: str  # the platform's user id
    user_name: str
    space_ref: str  # guild / chat id, or "local" for the console
    space_kind: SpaceKind = "dm"
    space_admin: bool = False  # the platform says this user administers the space
    channel_ref: str = ""  # a channel or thread inside the space, where the platform has them
    # Access lists: the user's roles in the space (Discord), and what holds the channel (a
    # thread's channel, a channel's category).
    roles: tuple[str, ...] = ()
    channel_parents: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file coming in or going out."""

    filename: str
    content_type: str
    data: bytes = b""
    url: str = ""
    inline: bool = False  # a picture to show (Telegram sendPhoto), not a file to download


@dataclass(frozen=True)
class Quoted:
    """The message a message replies to (Discord's message reference, Telegram's
    reply_to_message): who wrote it and what it says."""

    name: str
    text: str
    message_ref: str = ""


@dataclass(frozen=True)
class Incoming:
    """A plain chat message (a turn with the active persona)."""

    who: Who
    text: str
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    # Set by the adapter: a DM, a mention, a reply to the bot, the bot's own thread. Whether an
    # unaddressed message is answered (a chat channel) is the core's decision.
    addressed: bool = True
    parent_ref: str = ""  # the channel a thread belongs to, where the platform has threads
    message_ref: str = ""  # the platform's id of this message (replies to it find it)
    quoted: Quoted | None = None  # the message it replies to, as the platform delivered it


@dataclass(frozen=True)
class CommandCall:
    """A parsed command: its path (e.g. ("persona", "create")) and typed arguments."""

    who: Who
    path: tuple[str, ...]
    args: Mapping[str, Any] = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True)
class Look:
    """How the replying persona presents itself."""

    name: str
    display_name: str
    avatar_url: str = ""
    avatar_id: str = ""  # a stored picture (Core.avatar gives its bytes); wins over the URL


@dataclass(frozen=True)
class Confirm:
    """A pending yes/no question; answer it with Core.confirm(token, ...)."""

    token: str
    question: str


@dataclass(frozen=True)
class FormRequest:
    """A form to show instead of running the command: (parameter, hint, current value) each;
    submitting it runs `path` with the given arguments plus the fields filled in."""

    title: str
    path: tuple[str, ...]
    fields: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Versions:
    """A persona reply's versions: adapters offer 🔄 (regenerate) and ◀ ▶ (swipe) under it."""

    reply_id: int
    shown: int  # 1-based
    total: int


@dataclass(frozen=True)
class Greetings:
    """A persona's greetings (a card's first message and its alternates): adapters offer
    ◀ n/N ▶ under the one shown."""

    persona_id: int
    shown: int  # 1-based
    total: int


@dataclass(frozen=True)
class Reply:
    """What the core answers; adapters render it in their platform's idiom."""

    text: str
    persona: Look | None = None
    ephemeral: bool = False  # only the asking user should see it, where the platform can
    confirm: Confirm | None = None
    attachments: tuple[Attachment, ...] = ()
    error: bool = False
    form: FormRequest | None = None
    versions: Versions | None = None  # set on a persona's reply that can be regenerated
    greetings: Greetings | None = None  # set on a greeting that has alternates
    # A persona's line in a group channel: adapters tell Core.delivered the message id it got.
    line_id: int | None = None
    # In a scene, another persona answers next: adapters stream Core.scene_next as it.
    next: Look | None = None
    # Nothing to show where it was asked (an access list keeps the user out): adapters send
    # nothing, except where an answer is owed privately (a Discord slash command).
    silent: bool = False


# Adapters that stream pass one of these to receive text chunks as the model produces them.
ChunkSink = Callable[[str], Awaitable[None]]
# Told True when the model starts working on a turn and False when it stops (typing signals).
WorkSignal = Callable[[bool], Awaitable[None]]
# Told, as one line, how far a long command has come ("indexing a.pdf — 120/300 pages"):
# adapters edit one message (Discord, Telegram) or print a line (console).
ProgressSink = Callable[[str], Awaitable[None]]
