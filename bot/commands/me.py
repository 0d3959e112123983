"""/me: what you tell the personas about yourself (a name and a few lines)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services

PERSONA = Param("persona", "only for this persona (default: every persona)", type="persona")


async def _persona_id(s: Services, ctx: Context, persona: str | None) -> tuple[int | None, str]:
    if not persona:
        return None, "every persona"
    found = await s.personas.find(ctx, persona)
    return found.id, found.display_name


def _checked(value: str | None, what: str, limit: int, one_line: bool) -> str | None:
    if value is None:
        return None
    text = " ".join(value.split()) if one_line else value.strip()
    if len(text) > limit:
        raise BadInput(f"{what} is too long: {len(text)} characters (limit {limit})")
    return text


@command(
    "me",
    "set",
    help="Tell the personas who you are: the name they call you and a few lines about you",
    params=(
        Param("name", "the name personas call you", limit="user_name"),
        Param("about", "a few lines about you", long=True, limit="user_about"),
        PERSONA,
    ),
)
async def me_set(
    s: Services, ctx: Context, name: str | None, about: str | None, persona: str | None
) -> Reply:
    """Store the given fields (for every persona, or one); the rest stays as it was."""
    if name is None and about is None:
        raise BadInput('say what to set: /me set name="…" about="…"')
    limits = s.settings.limits
    name = _checked(name, "name", limits.user_name, one_line=True)
    about = _checked(about, "about", limits.user_about, one_line=False)
    persona_id, whom = await _persona_id(s, ctx, persona)
    await s.descriptions.set(ctx.user_id, persona_id, name, about)
    return Reply(text=f"Saved. What {whom} will know of you: /me show", ephemeral=True)


@command("me", "show", help="What you told the personas about yourself")
async def me_show(s: Services, ctx: Context) -> Reply:
    """The general description and each persona's own."""
    found = await s.descriptions.all_of(ctx.user_id)
    if not found:
        return Reply(
            text=f"You haven't told the personas anything yet; they call you "
            f'{ctx.who.user_name or "by your platform name"}. /me set name="…" about="…"',
            ephemeral=True,
        )
    lines = []
    for d in found:
        whom = "Every persona"
        if d.persona_id is not None:
            p = await s.personas.repo.get(d.persona_id)
            whom = f"Only {p.display_name if p else '#' + str(d.persona_id)}"
        lines.append(f"{whom}: name {d.name or '(your platform name)'}")
        lines += [f"  {line}" for line in d.about.splitlines()] or ["  (nothing about you)"]
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "me",
    "clear",
    help="Forget what you told the personas (all of them, or one)",
    params=(PERSONA,),
)
async def me_clear(s: Services, ctx: Context, persona: str | None) -> Reply:
    """Delete the general description, or one persona's."""
    persona_id, whom = await _persona_id(s, ctx, persona)
    if not await s.descriptions.clear(ctx.user_id, persona_id):
        raise BadInput(f"you haven't told {whom} anything to forget")
    return Reply(text=f"Forgotten what you told {whom} about yourself.", ephemeral=True)
