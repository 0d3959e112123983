"""/persona history, diff and rollback: every change to a persona is a version."""

from __future__ import annotations

import difflib
import json
from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, Target, command
from bot.messages import Reply
from personas.model import Persona

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services

NAME = Param("name", "the persona", type="persona", required=True, positional=True)
LINES = 40  # most lines of a diff shown


def _text(value: Any, field: str = "") -> str:
    if field == "avatar_image" and value:
        return f"picture {value[:12]}"  # a content hash: its start tells pictures apart
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1)


def diff_lines(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """What changed from `old` to `new`: short values as "a → b", long ones as a diff, and
    objects (an imported card) field by field."""
    out: list[str] = []
    for field in sorted(set(old) | set(new)):
        was, now = old.get(field, ""), new.get(field, "")
        if isinstance(now, dict) and (isinstance(was, dict) or was == "") and not prefix:
            out += diff_lines(was or {}, now, f"{field}.")
            continue
        a, b = _text(was, field), _text(now, field)
        field = prefix + field
        if a == b:
            continue
        if len(a) <= 60 and len(b) <= 60 and "\n" not in a + b:
            out.append(f"{field}: {a or '(empty)'} → {b or '(empty)'}")
            continue
        out.append(f"{field}:")
        body = difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
        out += [f"  {line}" for line in list(body)[2:] if not line.startswith("@@")]
    return out


@command(
    "persona",
    "history",
    help="Every change to a persona: version, when, who, what",
    params=(NAME,),
    target=Target("name", "change", doing="see its history"),
)
async def persona_history(s: Services, ctx: Context, name: str, target: Persona) -> Reply:
    """Versions newest first, one line each."""
    versions = await s.personas.history(target)
    if not versions:
        return Reply(text=f"{target.display_name} has no versions yet.", ephemeral=True)
    lines = [f"Versions of {target.display_name} (newest first):"]
    for v in versions[:25]:
        who = f" by {v.by}" if v.by else ""
        lines.append(f"  v{v.n} {v.created_at:%Y-%m-%d %H:%M}{who} — {v.summary}")
    if len(versions) > 25:
        lines.append(f"  … and {len(versions) - 25} older")
    lines.append("/persona diff <name> <v1> [v2] shows a change; /persona rollback undoes it.")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "persona",
    "diff",
    help="What changed between two versions of a persona (default: up to now)",
    params=(
        NAME,
        Param("v1", "the older version", type="int", required=True, positional=True, min=1),
        Param("v2", "the newer version (default: the latest)", type="int", positional=True, min=1),
    ),
    target=Target("name", "change", doing="see its history"),
)
async def persona_diff(
    s: Services, ctx: Context, name: str, v1: int, v2: int | None, target: Persona
) -> Reply:
    """The fields that differ between two versions."""
    history = await s.personas.history(target)
    newest = history[0].n if history else 0
    old = await s.personas.version(target, v1)
    new = await s.personas.version(target, v2 or newest)
    lines = diff_lines(old.fields, new.fields)
    head = f"{target.display_name}, v{old.n} → v{new.n}:"
    if not lines:
        return Reply(text=f"{head} no differences.", ephemeral=True)
    more = [f"… {len(lines) - LINES} more lines"] if len(lines) > LINES else []
    return Reply(text="\n".join([head, *lines[:LINES], *more]), ephemeral=True)


@command(
    "persona",
    "rollback",
    help="Make an earlier version of a persona current again (asks first; memories stay)",
    params=(
        NAME,
        Param(
            "version",
            "the version to go back to",
            type="int",
            required=True,
            positional=True,
            min=1,
        ),
    ),
    target=Target("name", "change", doing="roll it back"),
    confirm="Roll {target.display_name} back to version {version}? What it is now stays in "
    "its history, and no one's memories change.",
)
async def persona_rollback(
    s: Services, ctx: Context, name: str, version: int, target: Persona
) -> Reply:
    """The version's fields become the persona's (a new version); memories untouched."""
    p = await s.personas.rollback(target, version, ctx.user_id)
    newest = (await s.personas.history(p))[0].n
    return Reply(
        text=f"{p.display_name} is as it was in v{version} again (now v{newest}).",
        ephemeral=True,
    )
