"""One rule for every platform: a private answer asked for in a group goes to a DM."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.messages import Reply, Who


async def answer_privately(
    reply: Reply,
    who: Who,
    send_dm: Callable[[], Awaitable[object]],
    note: Callable[[str], Awaitable[object]],
    *,
    sent: str,
    closed: str,
    refused: type[Exception],
) -> bool:
    """DM a private reply asked for in a group and say so there; False when it belongs here
    (an error, a public answer, or already a private place)."""
    if not reply.ephemeral or reply.error or who.space_kind != "group":
        return False
    try:
        await send_dm()
        text = sent
    except refused:  # the platform won't let us write to them first
        text = closed
    await note(text)
    return True
