"""Tables for running the bot for a community: access rules, reports, link codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, utcnow


class AccessRule(Base):
    """One allow or block entry: a user, role or channel, for a space or a whole platform."""

    __tablename__ = "access_rules"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)  # space:<id>|global:<pf>
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # user | role | channel
    ref: Mapped[str] = mapped_column(String(64), primary_key=True)  # the platform's id
    mode: Mapped[str] = mapped_column(String(8))  # allow | block
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class PersonaReport(Base):
    """A user's report of a persona, for admins to act on (/reports)."""

    __tablename__ = "persona_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    persona_id: Mapped[int] = mapped_column(
        ForeignKey("personas.id", ondelete="CASCADE"), index=True
    )
    reporter_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|acted|dismissed
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class LinkCode(Base):
    """A pending /me link code (only its hash is kept), one per account, short-lived."""

    __tablename__ = "link_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime)


class ProfileRow(Base):
    """A professional profile, `<industry>_<role>`."""

    __tablename__ = "profiles"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    industry: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class UserProfile(Base):
    """The profile a user has (set by them, or inferred and told)."""

    __tablename__ = "user_profiles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    profile: Mapped[str] = mapped_column(
        ForeignKey("profiles.name", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(16), default="user")  # user | inferred
    set_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ExperienceBlock(Base):
    """What a persona learned serving people of one profile: no one's personal data."""

    __tablename__ = "experience_blocks"

    persona_id: Mapped[int] = mapped_column(
        ForeignKey("personas.id", ondelete="CASCADE"), primary_key=True
    )
    profile: Mapped[str] = mapped_column(
        ForeignKey("profiles.name", ondelete="CASCADE"), primary_key=True
    )
    text: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
