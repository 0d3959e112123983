"""Moderation: /persona report for users; /reports, /moderation hide|restore for admins."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply
from bot.moderation import REASON_CHARS, Moderation

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services

REASON = Param("reason", "why, in a few words", required=True, positional=True, greedy=True)
WHICH = Param(
    "persona", "its name here, or #id as /reports shows it", required=True, positional=True
)


def _moderation(s: Services) -> Moderation:
    assert s.moderation is not None
    return s.moderation


def _reason(text: str) -> str:
    reason = " ".join(text.split())
    if not reason:
        raise BadInput("say why, in a few words")
    if len(reason) > REASON_CHARS:
        raise BadInput(f"the reason is too long: {len(reason)} characters (limit {REASON_CHARS})")
    return reason


@command(
    "persona",
    "report",
    help="Report someone's shared persona to the admins, with a reason",
    params=(Param("name", "the persona", type="persona", required=True, positional=True), REASON),
)
async def persona_report(s: Services, ctx: Context, name: str, reason: str) -> Reply:
    """File the report; the reporter is never shown to anyone."""
    p = await _moderation(s).report(ctx, name, _reason(reason))
    return Reply(
        text=f"Reported {p.display_name} to the admins. Thank you — they decide what happens.",
        ephemeral=True,
    )


@command(
    "reports",
    help="Open reports of shared personas, and what was taken down (admins)",
    rights="space_admin",
    params=(
        Param("dismiss", "close this report without action", type="int", min=1),
        Param("all", "every place's, not only this one's", type="bool", rights="bot_admin"),
    ),
)
async def reports(s: Services, ctx: Context, dismiss: int | None, all: bool | None) -> Reply:
    """List reports grouped by persona (reporters unnamed), or dismiss one."""
    mod = _moderation(s)
    where = None if all or (ctx.bot_admin and ctx.private_space) else ctx.space_id
    if dismiss is not None:
        if not await mod.repo.dismiss(dismiss, None if ctx.bot_admin else ctx.space_id):
            raise BadInput(f"there is no open report #{dismiss} here")
        return Reply(text=f"Dismissed report #{dismiss}.", ephemeral=True)
    lines = []
    for r in await mod.repo.open_reports(where):
        said = "; ".join(f'"{reason}"' for reason in r.reasons[:3])
        more = f" (+{len(r.reasons) - 3} more)" if len(r.reasons) > 3 else ""
        count = f"{len(r.reasons)} report" + "s" * (len(r.reasons) > 1)
        lines.append(
            f"#{r.persona_id} {r.display_name} ('{r.name}'): {count} since "
            f"{r.first:%Y-%m-%d} — {said}{more} [report ids "
            f"{', '.join(str(i) for i in r.report_ids)}]"
        )
    text = "Open reports:\n" + "\n".join(lines) if lines else "No open reports."
    down = await mod.repo.taken_down(where)
    if down:
        text += "\nTaken down:\n" + "\n".join(
            f"#{pid} '{name}' by {'bot admins' if by == 'bot' else 'this place'}: {reason}"
            for pid, name, by, reason in down
        )
    text += "\n/moderation hide #id <reason> · /moderation restore #id · /reports dismiss=<id>"
    return Reply(text=text, ephemeral=True)


@command(
    "moderation",
    "hide",
    help="Take a shared persona down (unshare it) with a reason its owner is told",
    rights="space_admin",
    params=(WHICH, REASON),
)
async def moderation_hide(s: Services, ctx: Context, persona: str, reason: str) -> Reply:
    """Unshare it here (bot admins: any persona, from anywhere), locked until restored."""
    mod = _moderation(s)
    p = await mod.resolve(ctx, persona)
    closed = await mod.take_down(ctx, p, _reason(reason))
    note = f"; {closed} open report" + "s" * (closed != 1) + " closed" if closed else ""
    return Reply(
        text=f"Took {p.display_name} (#{p.id}) down: only its owner sees it now{note}.",
        ephemeral=True,
    )


@command(
    "moderation",
    "restore",
    help="Lift a takedown: its owner may share the persona again",
    rights="space_admin",
    params=(WHICH,),
)
async def moderation_restore(s: Services, ctx: Context, persona: str) -> Reply:
    """Lift it (bot admins' takedowns: bot admins only)."""
    mod = _moderation(s)
    p = await mod.resolve(ctx, persona)
    await mod.restore(ctx, p)
    return Reply(text=f"Restored {p.display_name} (#{p.id}); its owner was told.", ephemeral=True)
