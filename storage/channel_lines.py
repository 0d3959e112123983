"""Lines said in public channels: the channel context of group chats and scenes, and the
messages a reply chain walks through. Read only by (space, channel): a DM has none."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, event, func, select, update

from storage.db import Database
from storage.models import ChannelLine, Turn, utcnow


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


CHANNELS_CACHED = 256  # channels whose newest lines this process keeps
# Plain columns, not ORM objects: a prompt may read 200 lines per turn.
# A line that is also a turn says what the turn says now: an edited message, a regenerated or
# swiped reply.
_COLUMNS = (
    ChannelLine.id,
    ChannelLine.name,
    func.coalesce(Turn.content, ChannelLine.text),
    ChannelLine.user_id,
    ChannelLine.persona_id,
    ChannelLine.turn_id,
    ChannelLine.message_ref,
    ChannelLine.reply_to_ref,
)  # not created_at: parsing 200 SQLite timestamps a turn costs more than the rest


@dataclass
class _Recent:
    lines: list[Line]  # a channel's newest lines, oldest first
    limit: int  # how many it was read with (it holds at most that many)


class ChannelLines:
    """The `channel_lines` table; each channel keeps its newest `keep` lines.

    A channel's newest lines are also kept in this process (every turn there reads them; a
    database round trip costs about a millisecond): lines added here go in as they are
    written, and any DELETE on the database — a turn, a user or a persona forgotten, whose
    lines go with it — or any change to a turn's text empties the whole cache, so a forgotten
    line is never shown again, nor an edited one as it was.
    One process per database (several need the scale-out issue's invalidation)."""

    def __init__(self, db: Database, keep: int) -> None:
        self._sessions = db.sessions
        self._write = db.write
        self.keep = keep
        self._recent: OrderedDict[tuple[int, str], _Recent] = OrderedDict()
        self._generation = 0  # bumped by every DELETE: a read that raced one is not kept
        event.listen(db.engine.sync_engine, "after_cursor_execute", self._on_execute)

    def _on_execute(self, *args: Any) -> None:
        statement = str(args[2]).lstrip()
        head = statement[:6].upper()
        changed = head == "DELETE" or (
            head == "UPDATE" and statement.startswith("UPDATE turns") and "content" in statement
        )
        if changed:
            self._generation += 1
            self._recent.clear()

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
            cached = self._recent.get((space_id, channel_ref))
            if cached is not None:
                cached.lines.append(
                    Line(
                        row.id,
                        row.name,
                        text,
                        user_id,
                        persona_id,
                        turn_id,
                        message_ref,
                        reply_to_ref,
                    )
                )
                del cached.lines[: -cached.limit]
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
        for cached in self._recent.values():  # a posted line is among its channel's newest
            for i in range(len(cached.lines) - 1, -1, -1):
                line = cached.lines[i]
                if line.id <= line_id:
                    if line.id == line_id:
                        cached.lines[i] = replace(line, message_ref=message_ref)
                    break

    async def recent(self, space_id: int, channel_ref: str, limit: int) -> list[Line]:
        """The channel's newest `limit` lines, oldest first."""
        key = (space_id, channel_ref)
        cached = self._recent.get(key)
        if cached is not None and cached.limit >= limit:
            self._recent.move_to_end(key)
            return cached.lines[-limit:] if limit else []
        generation = self._generation
        lines = await self._read(space_id, channel_ref, limit)
        if generation == self._generation:
            self._recent[key] = _Recent(list(lines), limit)
            if len(self._recent) > CHANNELS_CACHED:
                self._recent.popitem(last=False)
        return lines

    async def _read(self, space_id: int, channel_ref: str, limit: int) -> list[Line]:
        async with self._sessions() as s:
            rows = await s.execute(
                select(*_COLUMNS)
                .outerjoin(Turn, Turn.id == ChannelLine.turn_id)
                .where(ChannelLine.space_id == space_id, ChannelLine.channel_ref == channel_ref)
                .order_by(ChannelLine.id.desc())
                .limit(limit)
            )
            return [Line(*r) for r in reversed(rows.all())]

    async def by_ref(self, space_id: int, channel_ref: str, message_ref: str) -> Line | None:
        """The line the platform knows as `message_ref` in this channel, if kept."""
        if not message_ref:
            return None
        async with self._sessions() as s:
            found = await s.execute(
                select(*_COLUMNS)
                .outerjoin(Turn, Turn.id == ChannelLine.turn_id)
                .where(
                    ChannelLine.space_id == space_id,
                    ChannelLine.channel_ref == channel_ref,
                    ChannelLine.message_ref == message_ref,
                )
                .order_by(ChannelLine.id.desc())
                .limit(1)
            )
            row = found.first()
            return Line(*row) if row is not None else None
