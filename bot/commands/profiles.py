"""Professional profiles: /me profile for everyone, /profiles for the list (bot admins keep
it), /persona experience for a persona's per-profile experience (owners and admins)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.commands.spec import Param, Target, command
from bot.errors import BadInput
from bot.messages import Reply
from bot.profiles import Profiles
from personas.knowledge import scrub
from personas.profiles import EXPERIENCE_LIMIT, RULE, snake

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from personas.model import Persona

INDUSTRY = Param("industry", "your industry, e.g. qsr, tobacco, banking")
ROLE = Param("role", "your role, e.g. real estate, consumer insights")


def _profiles(s: Services) -> Profiles:
    assert s.profiles is not None
    return s.profiles


@command(
    "me",
    "profile",
    help="Your line of work, <industry>_<role>: personas use what people like you taught them",
    params=(
        Param("profile", "e.g. qsr_real_estate, or clear", positional=True),
        INDUSTRY,
        ROLE,
    ),
)
async def me_profile(
    s: Services, ctx: Context, profile: str | None, industry: str | None, role: str | None
) -> Reply:
    """Show, set (a new well-formed profile is created) or clear the user's profile."""
    profiles = _profiles(s)
    if profile is None and industry is None and role is None:
        found = await profiles.repo.of_user(ctx.user_id)
        if found is None:
            return Reply(
                text=f"You have no profile. Set one: /me profile industry=… role=… ({RULE})",
                ephemeral=True,
            )
        how = "I inferred it from what you wrote" if found[1] == "inferred" else "you set it"
        return Reply(text=f"Your profile: {found[0]} ({how}).", ephemeral=True)
    if profile is not None and snake(profile) == "clear" and not (industry or role):
        if not await profiles.repo.clear_user(ctx.user_id):
            raise BadInput("you have no profile to clear")
        return Reply(
            text="Profile cleared: no shared experience is used for you now.", ephemeral=True
        )
    p = await profiles.resolve(profile, industry, role)
    created = await profiles.choose(ctx, p)
    new = " (a new profile)" if created else ""
    return Reply(
        text=f"Your profile: {p.name}{new} — industry {p.industry}, role {p.role}.",
        ephemeral=True,
    )


@command("profiles", "list", help="Known profiles and how many people have each (no names)")
async def profiles_list(s: Services, ctx: Context) -> Reply:
    """Every profile with its user count."""
    found = await _profiles(s).repo.counted()
    if not found:
        return Reply(text="No profiles yet: /me profile industry=… role=…", ephemeral=True)
    lines = [
        f"{p.name} — {p.industry} / {p.role}: {n} " + ("person" if n == 1 else "people")
        for p, n in found
    ]
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "profiles",
    "add",
    help="Add a profile (bot admins)",
    rights="bot_admin",
    params=(Param("profile", "e.g. qsr_real_estate", positional=True), INDUSTRY, ROLE),
)
async def profiles_add(
    s: Services, ctx: Context, profile: str | None, industry: str | None, role: str | None
) -> Reply:
    """Create a profile ahead of use."""
    p = await _profiles(s).resolve(profile, industry, role)
    if not await _profiles(s).repo.ensure(p):
        raise BadInput(f"{p.name} exists already")
    return Reply(text=f"Added {p.name} (industry {p.industry}, role {p.role}).", ephemeral=True)


@command(
    "profiles",
    "rename",
    help="Rename a profile; its people and experience move, merged into one that exists "
    "(bot admins)",
    rights="bot_admin",
    params=(
        Param("old", "the profile now", required=True, positional=True),
        Param("new", "its new name", positional=True),
        INDUSTRY,
        ROLE,
    ),
)
async def profiles_rename(
    s: Services, ctx: Context, old: str, new: str | None, industry: str | None, role: str | None
) -> Reply:
    """Move users and blocks; blocks of a persona under both names are joined."""
    profiles = _profiles(s)
    if await profiles.repo.get(snake(old)) is None:
        raise BadInput(f"there is no profile {snake(old)}")
    p = await profiles.resolve(new, industry, role)
    if p.name == snake(old):
        raise BadInput("that is its name already")
    await profiles.repo.rename(snake(old), p)
    return Reply(text=f"Renamed {snake(old)} to {p.name}.", ephemeral=True)


@command(
    "profiles",
    "remove",
    help="Remove a profile, its experience blocks, and it from everyone who has it (bot admins)",
    rights="bot_admin",
    params=(Param("profile", "which", required=True, positional=True),),
    confirm="Remove profile {profile}, every persona's experience for it, and it from "
    "everyone who has it?",
)
async def profiles_remove(s: Services, ctx: Context, profile: str) -> Reply:
    """Delete it."""
    if not await _profiles(s).repo.remove(snake(profile)):
        raise BadInput(f"there is no profile {snake(profile)}")
    return Reply(text=f"Removed {snake(profile)}.", ephemeral=True)


@command(
    "persona",
    "experience",
    help="Show, set or clear what a persona learned serving one profile (owners, admins)",
    params=(
        Param(
            "action",
            "show, set or clear",
            required=True,
            positional=True,
            choices=("show", "set", "clear"),
        ),
        Param("profile", "which profile (show: default every one)"),
        Param("text", "the experience (for set)", positional=True, greedy=True, long=True),
        Param("name", "which persona (default: the active one)", type="persona"),
    ),
    # Read into the prompts of everyone with the profile: its owner and admins curate it.
    target=Target(
        "name",
        "change",
        default_active=True,
        doing="see or change its experience",
        presets="see or change the experience of presets",
    ),
)
async def persona_experience(
    s: Services,
    ctx: Context,
    action: str,
    profile: str | None,
    text: str | None,
    name: str | None,
    target: Persona,
) -> Reply:
    """Experience is scrubbed of personal data before it is stored, like shared knowledge."""
    repo = _profiles(s).repo
    p = target
    if action == "show" and not profile:
        blocks = await repo.blocks(p.id)
        if not blocks:
            return Reply(text=f"{p.display_name} has no experience blocks yet.", ephemeral=True)
        shown = [f"[{name}]\n{body or '(empty)'}" for name, body in blocks]
        return Reply(text="\n\n".join(shown), ephemeral=True)
    if not profile:
        raise BadInput(f"say which profile: /persona experience {action} profile=…")
    key = snake(profile)
    if await repo.get(key) is None:
        raise BadInput(f"there is no profile {key} — /profiles list shows them")
    if action == "show":
        body = await repo.block(p.id, key)
        return Reply(
            text=f"{p.display_name} for {key}:\n{body or '(nothing yet)'}", ephemeral=True
        )
    if action == "clear":
        if not await repo.clear_block(p.id, key):
            raise BadInput(f"{p.display_name} has no experience for {key}")
        return Reply(text=f"Cleared {p.display_name}'s experience for {key}.", ephemeral=True)
    body = (text or "").strip()
    if not body:
        raise BadInput("give the experience after set")
    if len(body) > EXPERIENCE_LIMIT:
        raise BadInput(
            f"experience is too long: {len(body)} characters (limit {EXPERIENCE_LIMIT})"
        )
    clean = await asyncio.to_thread(scrub, body, (), [p.display_name])  # Presidio: off the loop
    await repo.set_block(p.id, key, clean)
    note = "" if clean == body else " Personal details were replaced with tags."
    return Reply(text=f"Updated {p.display_name}'s experience for {key}.{note}", ephemeral=True)
