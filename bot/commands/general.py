"""/help and /usage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import GROUP_HELP, Param, command
from bot.errors import BadInput
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services


@command(
    "help",
    help="List the commands, or explain one",
    params=(
        Param(
            "command",
            "a command or group, e.g. persona or persona create",
            positional=True,
            greedy=True,
        ),
    ),
)
async def help_(s: Services, ctx: Context, command: str | None) -> Reply:
    """Overview, a group's commands, or one command's options."""
    words = tuple(str(command or "").lstrip("/").lower().split())
    specs = [c for c in s.commands() if c.offered_on(ctx.who.platform)]
    by_path = {c.path: c for c in specs}
    if not words:
        lines = ["Commands (type a message without / to chat with your persona):"]
        lines += [f"  {c.usage()}" for c in specs if len(c.path) == 1]
        groups = sorted({c.path[0] for c in specs if len(c.path) > 1})
        lines += [f"  /{g} — {GROUP_HELP.get(g, '')} (/help {g})" for g in groups]
        return Reply(text="\n".join(lines), ephemeral=True)
    spec = by_path.get(words[:2]) or by_path.get(words[:1])
    if spec is not None and spec.path == words[: len(spec.path)] and len(words) == len(spec.path):
        lines = [spec.usage(), f"  {spec.help}" + (" (admins)" if spec.admin else "")]
        lines += [f"  {p.name}: {p.help}" for p in spec.params]
        return Reply(text="\n".join(lines), ephemeral=True)
    group = [c for c in specs if c.path[0] == words[0] and len(c.path) > 1]
    if not group:
        raise BadInput(f"no command /{' '.join(words)} — /help lists the commands")
    lines = [f"/{words[0]} — {GROUP_HELP.get(words[0], '')}"]
    lines += [f"  {c.usage()} — {c.help}" for c in group]
    lines += [
        f"  /{c.path[0]} {c.wizard.alias} — {c.help}, step by step"
        for c in group
        if c.wizard is not None
    ]
    return Reply(text="\n".join(lines), ephemeral=True)


@command("usage", help="Tokens used and characters spoken, per persona")
async def usage(s: Services, ctx: Context) -> Reply:
    """Token totals for the asking user, and what is left of the budgets set here."""
    lines = await s.usage.by_persona(ctx.user_id)
    left = await s.budgets.remaining(ctx) if s.budgets is not None else []
    tail = ["Left of your budgets here:", *left] if left else []
    if not lines:
        return Reply(text="\n".join(["No model calls yet.", *tail]), ephemeral=True)
    out = ["Your use per persona:"]
    for u in lines:
        spoken = f", {u.spoken_characters:,} characters spoken" if u.spoken_characters else ""
        out.append(
            f"  {u.persona_name}: {u.calls} replies, {u.prompt_tokens:,} prompt + "
            f"{u.completion_tokens:,} reply tokens{spoken}"
        )
    total = sum(u.prompt_tokens + u.completion_tokens for u in lines)
    chars = sum(u.spoken_characters for u in lines)
    out.append(f"  total: {total:,} tokens" + (f", {chars:,} characters spoken" if chars else ""))
    return Reply(text="\n".join([*out, *tail]), ephemeral=True)


@command(
    "start",
    help="How to begin: chat, switch or create a persona",
    surfaces=("telegram", "console"),
)
async def start(s: Services, ctx: Context) -> Reply:
    """The welcome a new user sees (Telegram sends /start first)."""
    sep = "_" if ctx.who.platform == "telegram" else " "  # Telegram menus can't hold spaces
    return Reply(
        text="Hi! I'm personabot. Just write to chat with the active persona.\n"
        f"/persona{sep}switch picks another one, /persona{sep}new creates your own, "
        "/help lists everything."
    )


@command(
    "cancel",
    help="Stop a step-by-step form (e.g. /persona new)",
    surfaces=("telegram", "console"),
)
async def cancel(s: Services, ctx: Context) -> Reply:
    """Reached only when no wizard is running: a running one takes /cancel itself."""
    return Reply(text="Nothing to cancel.")
