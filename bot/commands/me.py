"""/me: what you tell the personas about yourself (a name and a few lines), your data's
export and erasure; /privacy erase for bot admins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from bot.user_data import UserData
    from storage.user_data import Account

PLATFORMS = ("discord", "telegram", "console")

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
    """The general description and each persona's own, and the accounts linked as you."""
    found = await s.descriptions.all_of(ctx.user_id)
    accounts = await s.user_data.person(ctx.user_id) if s.user_data is not None else []
    linked = (
        ["Linked accounts (one person): " + ", ".join(f"{a.platform} {a.ref}" for a in accounts)]
        if len(accounts) > 1
        else []
    )
    if not found:
        return Reply(
            text="\n".join(
                [
                    f"You haven't told the personas anything yet; they call you "
                    f'{ctx.who.user_name or "by your platform name"}. /me set name="…" about="…"',
                    *linked,
                ]
            ),
            ephemeral=True,
        )
    lines = list(linked)
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


def _user_data(s: Services) -> UserData:
    assert s.user_data is not None
    return s.user_data


def _counted(counts: dict[str, int]) -> str:
    return (
        f"{counts['rows']:,} database rows, {counts['memories']:,} memories in the search "
        f"index, {counts['personas']} personas of yours"
        + (f", {counts['audio']} spoken replies" if counts.get("audio") else "")
    )


@command(
    "me",
    "export",
    help="Everything the bot holds about you, as one file, sent only to you",
    anyone=True,
)
async def me_export(s: Services, ctx: Context) -> Reply:
    """Every account linked to you included; the file is a zip when it has audio."""
    accounts = await _user_data(s).person(ctx.user_id)
    file, counts = await _user_data(s).export(accounts)
    linked = f" (accounts: {', '.join(f'{a.platform} {a.ref}' for a in accounts)})"
    return Reply(
        text=f"Everything I hold about you{linked}: {_counted(counts)}.",
        attachments=(file,),
        ephemeral=True,
    )


async def _forget_question(s: Services, ctx: Context, args: Mapping[str, Any]) -> str:
    accounts = await _user_data(s).person(ctx.user_id)
    owned = await _user_data(s).repo.personas([a.user_id for a in accounts])
    names = ", ".join(p.name for p in owned[:10]) + (" …" if len(owned) > 10 else "")
    mine = (
        f" — and your {len(owned)} personas ({names}) with all they hold, for every user"
        * bool(owned)
    )
    return (
        f"Erase everything I hold about you on {len(accounts)} account(s): messages, memories, "
        f"descriptions, settings, voice clones, archived memories{mine}? Usage totals stay, "
        "anonymous; an access-list block on you stays too."
    )


def _erased(counts: dict[str, int]) -> str:
    return (
        f"Erased: {counts['rows']:,} database rows, {counts['personas']} personas, "
        f"{counts['clones']} voice clones, {counts['archives']} archives changed. "
        "If you write again, you start as a stranger."
    )


@command(
    "me",
    "forget",
    help="Erase everything the bot holds about you (asks first)",
    confirm=_forget_question,
    anyone=True,
)
async def me_forget(s: Services, ctx: Context) -> Reply:
    """Erase the asking person, every linked account included."""
    accounts = await _user_data(s).person(ctx.user_id)
    return Reply(text=_erased(await _user_data(s).erase(accounts)), ephemeral=True)


async def _someone(s: Services, ctx: Context, args: Mapping[str, Any]) -> list[Account]:
    platform = str(args.get("platform") or ctx.who.platform)
    ref = str(args["user"]).strip()
    found = await _user_data(s).repo.find(platform, ref)
    if found is None:
        raise BadInput(f"the bot holds nothing about {platform} user {ref}")
    return await _user_data(s).person(found)


async def _erase_question(s: Services, ctx: Context, args: Mapping[str, Any]) -> str:
    accounts = await _someone(s, ctx, args)
    listed = ", ".join(f"{a.platform} {a.ref}" for a in accounts)
    return f"Erase everything the bot holds about the person with the account(s) {listed}?"


@command(
    "privacy",
    "erase",
    help="Erase everything about a user who asked by another route (bot admins; asks first)",
    rights="bot_admin",
    params=(
        Param("user", "their id on the platform", required=True, positional=True),
        Param("platform", "their platform (default: this one)", choices=PLATFORMS),
    ),
    confirm=_erase_question,
)
async def privacy_erase(s: Services, ctx: Context, user: str, platform: str | None) -> Reply:
    """The same erasure as /me forget, for someone else."""
    accounts = await _someone(s, ctx, {"user": user, "platform": platform})
    return Reply(text=_erased(await _user_data(s).erase(accounts)), ephemeral=True)
