"""Lines said in public channels: the channel context of group chats and scenes, and the
messages a reply chain walks through. Read only by (space, channel): a DM has none."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from storage.db import Database
from storage.models import ChannelLine, utcnow


@dataclass(frozen=True)
class Line:
    """One line said in a channel."""

    id: int
    name: str
    text: str
    user_id: int | None  # who said it, when a person did
    persona_id: int | None  # which persona said it, when one did
    turn_id: int | None  # the turn it also is in its speaker's own chat, if any
    message_ref: str
    reply_to_ref: str
    created_at: datetime


def _line(row: ChannelLine) -> Line:
    return Line(
        row.id,
        row.name,
        row.text,
        row.user_id,
        row.persona_id,
        row.turn_id,
        row.message_ref,
        row.reply_to_ref,
        row.created_at,
    )


class ChannelLines:
    """The `channel_lines` table; each channel keeps its newest `keep` lines."""

    def __init__(self, db: Database, keep: int) -> None:
        self._sessions = db.sessions
        self._write = db.write
        self.keep = keep

    async def add(
        self,
        space_id: int,
        channel_ref: str,
        name: str,
        text: str,
        *,
        user_id: int | None = None,
        persona_id: int | None = None,
        turn_id: int | None = None,
        message_ref: str = "",
        reply_to_ref: str = "",
    ) -> int:
        """Keep a line; returns its id. The channel's oldest lines past `keep` go."""
        row = ChannelLine(
            space_id=space_id,
            channel_ref=channel_ref,
            name=name[:100],
            text=text,
            user_id=user_id,
            persona_id=persona_id,
            turn_id=turn_id,
            message_ref=message_ref,
            reply_to_ref=reply_to_ref,
            created_at=utcnow(),
        )
        async with self._write() as s:
            s.add(row)
            await s.flush()
            if row.id % 50 == 0:  # trimming now and then keeps writes cheap
                await s.execute(
                    delete(ChannelLine).where(
                        ChannelLine.space_id == space_id,
                        ChannelLine.channel_ref == channel_ref,
                        ChannelLine.id <= row.id - self.keep,
                    )
                )
            await s.commit()
            return row.id

    async def delivered(self, line_id: int, message_ref: str) -> None:
        """The platform's id of a posted line, so a reply to it finds it."""
        async with self._write() as s:
            await s.execute(
                update(ChannelLine)
                .where(ChannelLine.id == line_id)
                .values(message_ref=message_ref)
            )
            await s.commit()

    async def recent(self, space_id: int, channel_ref: str, limit: int) -> list[Line]:
        """The channel's newest `limit` lines, oldest first."""
        async with self._sessions() as s:
            rows = await s.scalars(
                select(ChannelLine)
                .where(ChannelLine.space_id == space_id, ChannelLine.channel_ref == channel_ref)
                .order_by(ChannelLine.id.desc())
                .limit(limit)
            )
            return [_line(r) for r in reversed(list(rows))]

    async def by_ref(self, space_id: int, channel_ref: str, message_ref: str) -> Line | None:
        """The line the platform knows as `message_ref` in this channel, if kept."""
        if not message_ref:
            return None
        async with self._sessions() as s:
            row = await s.scalar(
                select(ChannelLine)
                .where(
                    ChannelLine.space_id == space_id,
                    ChannelLine.channel_ref == channel_ref,
                    ChannelLine.message_ref == message_ref,
                )
                .order_by(ChannelLine.id.desc())
                .limit(1)
            )
            return _line(row) if row is not None else None
