"""SQLAlchemy table definitions (the schema the migrations create)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Current time as naive UTC (SQLite keeps no zone; everything stored is UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("platform", "platform_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_user_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Another account of the same person (/me link): this account acts as that user.
    linked_to: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)


class Space(Base):
    __tablename__ = "spaces"
    __table_args__ = (UniqueConstraint("platform", "platform_space_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    platform_space_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # dm | group | console
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PersonaRow(Base):
    __tablename__ = "personas"
    # scope_key makes "unique name per scope" one constraint: global, space:<id> or user:<id>.
    __table_args__ = (UniqueConstraint("scope_key", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    scope_key: Mapped[str] = mapped_column(String(40))
    display_name: Mapped[str] = mapped_column(String(200))
    bio: Mapped[str] = mapped_column(Text, default="")
    avatar_url: Mapped[str] = mapped_column(Text, default="")
    avatar_image: Mapped[str] = mapped_column(String(64), default="")  # a Picture id
    system_prompt: Mapped[str] = mapped_column(Text, default="")
    greeting: Mapped[str] = mapped_column(Text, default="")
    example_dialogue: Mapped[str] = mapped_column(Text, default="")
    post_history: Mapped[str] = mapped_column(Text, default="")
    traits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    custom_traits: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    style: Mapped[str] = mapped_column(Text, default="")
    voice: Mapped[str] = mapped_column(String(100), default="")
    custom_voice_id: Mapped[str] = mapped_column(String(100), default="")
    decay: Mapped[str] = mapped_column(String(40), default="")  # "" or "linear:14" …
    retire_after_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    retire_on: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    farewell: Mapped[str] = mapped_column(Text, default="")
    retired_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    model: Mapped[str] = mapped_column(String(200), default="")
    temperature: Mapped[float | None] = mapped_column(Float, nullable=True)
    template: Mapped[str] = mapped_column(String(64), default="")
    visibility: Mapped[str] = mapped_column(String(16), default="private")
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), nullable=True
    )
    is_preset: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(16), default="user")  # shipped | admin | user
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | retired
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    knowledge: Mapped[str] = mapped_column(
        Text, default=""
    )  # shared by all users; no personal data
    # An imported character card's own fields (description, scenario, lorebook, extensions…).
    card: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Taken down by moderation: "" (no), "space" (its space's admins) or "bot" (bot admins).
    moderated: Mapped[str] = mapped_column(String(16), default="")
    moderation_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ActivePersona(Base):
    __tablename__ = "active_personas"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (
        Index("ix_turns_owner", "user_id", "persona_id", "id"),
        Index("ix_turns_chat", "chat_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="SET NULL"), nullable=True
    )
    role: Mapped[str] = mapped_column(String(16))  # user | assistant
    content: Mapped[str] = mapped_column(Text)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    model: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    extracted_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    extract_attempts: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(8), default="done")  # done | cut
    flags: Mapped[str] = mapped_column(String(32), default="")  # e.g. "safety"
    # A reply regenerated: which of its versions is shown (and in the history), of how many.
    version: Mapped[int] = mapped_column(Integer, default=1)
    versions: Mapped[int] = mapped_column(Integer, default=1)
    # The chat (of this owner's several) the message belongs to.
    chat_id: Mapped[int | None] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), nullable=True
    )
    # A reply whose prompt carried other people's channel lines: its text is kept out of the
    # owner's long-term memory (extraction, summaries), since it may repeat them.
    heard_others: Mapped[bool] = mapped_column(Boolean, default=False)


class ChannelLine(Base):
    """A line said in a public channel (by a user or a persona): channel context for the
    prompts of everyone talking there, never anyone's long-term memory."""

    __tablename__ = "channel_lines"
    __table_args__ = (
        Index("ix_channel_lines_where", "space_id", "channel_ref", "id"),
        Index("ix_channel_lines_ref", "space_id", "message_ref"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    channel_ref: Mapped[str] = mapped_column(String(64))
    message_ref: Mapped[str] = mapped_column(String(64), default="")  # the platform's id
    reply_to_ref: Mapped[str] = mapped_column(String(64), default="")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True
    )
    persona_id: Mapped[int | None] = mapped_column(
        ForeignKey("personas.id", ondelete="CASCADE"), nullable=True
    )
    turn_id: Mapped[int | None] = mapped_column(
        ForeignKey("turns.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SceneRow(Base):
    """Several personas taking turns in one channel."""

    __tablename__ = "scenes"
    __table_args__ = (UniqueConstraint("space_id", "channel_ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    channel_ref: Mapped[str] = mapped_column(String(64))
    starter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    persona_ids: Mapped[list[int]] = mapped_column(JSON)
    next_index: Mapped[int] = mapped_column(Integer, default=0)  # round_robin's next speaker
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PictureRow(Base):
    """A persona picture, stored once per content hash (versions may still point at it)."""

    __tablename__ = "pictures"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of data
    data: Mapped[bytes] = mapped_column(LargeBinary)
    mime: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class DocumentRow(Base):
    """A knowledge document of a persona: its text by section (for re-indexing) and what it
    was; its chunks live in the LanceDB `knowledge` table."""

    __tablename__ = "documents"
    # Ids never come back after a delete: chunks are found by document id.
    __table_args__ = (UniqueConstraint("persona_id", "name"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    pages: Mapped[int] = mapped_column(Integer)
    chunks: Mapped[int] = mapped_column(Integer, default=0)
    sections: Mapped[list[Any]] = mapped_column(JSON)  # [[text, where], ...]
    added_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PersonaVersion(Base):
    """A persona as it stood after one change (edit, import over it, knowledge, voice…)."""

    __tablename__ = "persona_versions"
    __table_args__ = (UniqueConstraint("persona_id", "n"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    n: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JSON)
    summary: Mapped[str] = mapped_column(String(300), default="")
    by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Chat(Base):
    """One of a (user, persona)'s conversations: its own transcript, memory shared."""

    __tablename__ = "chats"
    # Never reuse an id: an active-chat choice cached for a deleted chat must not find another.
    __table_args__ = (
        Index("ix_chats_owner", "user_id", "persona_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ChatChoice(Base):
    """The chat a user talks in with a persona in one space."""

    __tablename__ = "chat_choices"
    __table_args__ = (UniqueConstraint("user_id", "persona_id", "space_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))


class ChatSummary(Base):
    """The rolling summary of a chat's turns older than the recent window. `space_id` 0: of
    all its turns (read in DMs); otherwise of the turns said in that group only."""

    __tablename__ = "chat_summaries"
    __table_args__ = (UniqueConstraint("chat_id", "space_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    space_id: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text, default="")
    through_turn_id: Mapped[int] = mapped_column(Integer, default=0)  # the last turn it covers
    turns: Mapped[int] = mapped_column(Integer, default=0)  # how many turns it covers
    memory_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # its recall copy
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ReplyVersion(Base):
    """Every version of a regenerated reply (swipes); the turn holds the one shown."""

    __tablename__ = "reply_versions"
    __table_args__ = (Index("ix_reply_versions_turn", "turn_id", "n", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"))
    n: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(8), default="done")
    model: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UsageLog(Base):
    """Token use per model call; kept when turns are wiped so /usage stays truthful."""

    __tablename__ = "usage_log"
    __table_args__ = (
        Index("ix_usage_user", "user_id", "persona_id"),
        Index("ix_usage_user_at", "user_id", "created_at"),  # budgets: use since a time
        Index("ix_usage_space_at", "space_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[int | None] = mapped_column(
        ForeignKey("personas.id", ondelete="SET NULL"), nullable=True
    )
    persona_name: Mapped[str] = mapped_column(String(100), default="")
    space_id: Mapped[int | None] = mapped_column(
        ForeignKey("spaces.id", ondelete="SET NULL"), nullable=True
    )
    model: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20), default="chat")  # chat | speech
    characters: Mapped[int] = mapped_column(Integer, default=0)  # spoken (billed) characters
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class RateBucket(Base):
    """A token bucket (messages per minute): tokens left as of `at` (seconds since the epoch)."""

    __tablename__ = "rate_buckets"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. "msg:user:12"
    tokens: Mapped[float] = mapped_column(Float)
    at: Mapped[float] = mapped_column(Float)


class BudgetOverride(Base):
    """A limit set for one space ("space:<id>") or one user ("user:<id>") instead of config's."""

    __tablename__ = "budget_overrides"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


class SpaceSettings(Base):
    """Per-space overrides set with /model."""

    __tablename__ = "space_settings"

    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(200), default="")
    temperature: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class MemoryItem(Base):
    """A long-term memory of one (user, persona); SQL is the source of truth, LanceDB the index."""

    __tablename__ = "memory_items"
    __table_args__ = (Index("ix_memory_owner", "user_id", "persona_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[int] = mapped_column(ForeignKey("personas.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))  # episode | fact | preference | summary
    text: Mapped[str] = mapped_column(Text)
    importance: Mapped[float] = mapped_column(Float, default=0.5)
    strength: Mapped[float] = mapped_column(Float, default=1.0)
    tier: Mapped[str] = mapped_column(String(16), default="hot")  # hot | warm | cold | archived
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | superseded
    superseded_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_recalled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    recall_count: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    source_turn_id: Mapped[int | None] = mapped_column(
        ForeignKey("turns.id", ondelete="SET NULL"), nullable=True
    )
    space_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # where it was formed


class ChatChannel(Base):
    """A channel of a space where every message is a turn (no mention needed)."""

    __tablename__ = "chat_channels"

    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    channel_ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    added_by: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class InboxEntry(Base):
    """A platform update kept before the platform was told it arrived."""

    __tablename__ = "inbox"
    __table_args__ = (
        Index("ix_inbox_open", "platform", "done_at"),
        Index("ix_inbox_sender", "platform", "sender", "done_at"),
    )

    platform: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class MemoryScope(Base):
    """Whether a user lets a persona recall, in groups, what they said elsewhere."""

    __tablename__ = "memory_scopes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    persona_id: Mapped[int] = mapped_column(
        ForeignKey("personas.id", ondelete="CASCADE"), primary_key=True
    )
    everywhere: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UserDescription(Base):
    """What a user tells the personas about themselves: for every persona (persona_id NULL)
    or for one."""

    __tablename__ = "user_descriptions"
    __table_args__ = (Index("ix_user_descriptions_user", "user_id", "persona_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[int | None] = mapped_column(
        ForeignKey("personas.id", ondelete="CASCADE"), nullable=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    about: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class VoicePref(Base):
    """Spoken replies on or off, per user per space."""

    __tablename__ = "voice_prefs"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    space_id: Mapped[int] = mapped_column(
        ForeignKey("spaces.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class JobRun(Base):
    """One run of a scheduled job; (job, slot) is unique, so a slot runs once across processes."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot", name="uq_job_runs_slot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    slot: Mapped[str] = mapped_column(String(60))
    holder: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running | ok | failed
    items: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[str] = mapped_column(Text, default="")


class Mood(Base):
    """How a persona feels toward one user right now."""

    __tablename__ = "moods"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    persona_id: Mapped[int] = mapped_column(
        ForeignKey("personas.id", ondelete="CASCADE"), primary_key=True
    )
    emotion: Mapped[str] = mapped_column(String(20))
    intensity: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Farewell(Base):
    """A retired persona's goodbye owed to (shown_at NULL) or seen by one of its users."""

    __tablename__ = "farewells"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    persona_id: Mapped[int] = mapped_column(
        ForeignKey("personas.id", ondelete="CASCADE"), primary_key=True
    )
    shown_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
