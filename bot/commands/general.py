"""/help and /usage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.spec import GROUP_HELP, Param, command
from bot.errors import BadInput
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core


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
async def help_(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Overview, a group's commands, or one command's options."""
    words = tuple(str(args.get("command", "")).lstrip("/").lower().split())
    specs = core.command_list()
    if not words:
        lines = ["Commands (type a message without / to chat with your persona):"]
        lines += [f"  {c.usage()}" for c in specs if len(c.path) == 1]
        groups = sorted({c.path[0] for c in specs if len(c.path) > 1})
        lines += [f"  /{g} — {GROUP_HELP.get(g, '')} (/help {g})" for g in groups]
        return Reply(text="\n".join(lines), ephemeral=True)
    spec = core.commands.get(words[:2]) or core.commands.get(words[:1])
    if spec is not None and spec.path == words[: len(spec.path)] and len(words) == len(spec.path):
        lines = [spec.usage(), f"  {spec.help}" + (" (admins)" if spec.admin else "")]
        lines += [f"  {p.name}: {p.help}" for p in spec.params]
        return Reply(text="\n".join(lines), ephemeral=True)
    group = [c for c in specs if c.path[0] == words[0] and len(c.path) > 1]
    if not group:
        raise BadInput(f"no command /{' '.join(words)} — /help lists the commands")
    lines = [f"/{words[0]} — {GROUP_HELP.get(words[0], '')}"]
    lines += [f"  {c.usage()} — {c.help}" for c in group]
    return Reply(text="\n".join(lines), ephemeral=True)


@command("usage", help="Tokens used and characters spoken, per persona")
async def usage(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Token totals for the asking user."""
    lines = await core.usage.by_persona(ctx.user_id)
    if not lines:
        return Reply(text="No model calls yet.", ephemeral=True)
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
    return Reply(text="\n".join(out), ephemeral=True)
