"""/scene start|add|remove|list|end: several personas taking turns in one channel."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import Param, command
from bot.errors import BadInput, Conflict, PermissionDenied
from bot.messages import Reply

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from personas.model import Persona
    from storage.scenes import Scene

PERSONA = Param("persona", "a persona to bring in", type="persona", required=True, positional=True)


def _channel(ctx: Context) -> str:
    if ctx.private_space or not ctx.who.channel_ref:
        raise BadInput("scenes are for server channels and groups, not private chats")
    return ctx.who.channel_ref


async def _scene(s: Services, ctx: Context) -> Scene:
    _channel(ctx)
    scene = await s.scenes.here(ctx)
    if scene is None:
        raise BadInput("no scene in this channel — /scene start <persona> <persona> … begins one")
    return scene


def _may_run(ctx: Context, scene: Scene, doing: str) -> None:
    """Server admins, or whoever started the scene."""
    if not (ctx.space_admin or scene.starter_id == ctx.user_id):
        raise PermissionDenied(f"only the scene's starter or a server admin may {doing}")


async def _names(s: Services, scene: Scene) -> str:
    cast = await s.scenes.cast(scene)
    return ", ".join(p.display_name for p in cast) or "nobody"


@command(
    "scene",
    "start",
    help="Start a scene here: several personas taking turns (default: your active one)",
    params=(
        Param(
            "personas",
            "the personas, by name, space-separated",
            positional=True,
            greedy=True,
        ),
    ),
)
async def scene_start(s: Services, ctx: Context, personas: str | None) -> Reply:
    """Open a scene with the named personas (each one the starter may talk to here)."""
    channel = _channel(ctx)
    names = (personas or "").replace(",", " ").split()
    cast: list[Persona] = []
    for name in names or [(await s.personas.active(ctx)).name]:
        p = await s.personas.find(ctx, name)
        if p.id not in {c.id for c in cast}:
            cast.append(p)
    limit = s.settings.scene.max_personas
    if len(cast) > limit:
        raise BadInput(f"a scene holds at most {limit} personas (scene.max_personas)")
    await s.scenes.repo.start(ctx.space_id, channel, ctx.user_id, [p.id for p in cast])
    mode = s.settings.scene.mode.replace("_", " ")
    who = ", ".join(p.display_name for p in cast)
    return Reply(
        text=(
            f"Scene started with {who}. Name a persona to have it answer; otherwise they take "
            f"turns ({mode}). /scene add, /scene remove, /scene end."
        )
    )


@command("scene", "add", help="Bring a persona into this channel's scene", params=(PERSONA,))
async def scene_add(s: Services, ctx: Context, persona: str) -> Reply:
    """Add a persona (starter or admins)."""
    scene = await _scene(s, ctx)
    _may_run(ctx, scene, "change the scene")
    p = await s.personas.find(ctx, persona)
    if p.id in scene.persona_ids:
        raise Conflict(f"{p.display_name} is already in the scene")
    if len(scene.persona_ids) >= s.settings.scene.max_personas:
        raise BadInput(f"a scene holds at most {s.settings.scene.max_personas} personas")
    await s.scenes.repo.cast(scene.id, [*scene.persona_ids, p.id])
    return Reply(text=f"{p.display_name} joins the scene.")


@command("scene", "remove", help="Take a persona out of this channel's scene", params=(PERSONA,))
async def scene_remove(s: Services, ctx: Context, persona: str) -> Reply:
    """Remove a persona (starter or admins); the last one's leaving ends the scene."""
    scene = await _scene(s, ctx)
    _may_run(ctx, scene, "change the scene")
    p = await s.personas.find(ctx, persona)
    if p.id not in scene.persona_ids:
        raise BadInput(f"{p.display_name} is not in the scene")
    s.scenes.drop(ctx)
    left = [i for i in scene.persona_ids if i != p.id]
    if not left:
        await s.scenes.repo.end(scene.id)
        return Reply(text=f"{p.display_name} leaves; the scene is over.")
    await s.scenes.repo.cast(scene.id, left)
    return Reply(text=f"{p.display_name} leaves the scene.")


@command("scene", "list", help="Who is in this channel's scene, and how they take turns")
async def scene_list(s: Services, ctx: Context) -> Reply:
    """The scene's personas in speaking order."""
    scene = await _scene(s, ctx)
    mode = s.settings.scene.mode.replace("_", " ")
    text = f"Scene here: {await _names(s, scene)} (turns: {mode})."
    return Reply(text=text, ephemeral=True)


@command("scene", "end", help="End this channel's scene")
async def scene_end(s: Services, ctx: Context) -> Reply:
    """End it (starter or admins); chats with the personas go on as before."""
    scene = await _scene(s, ctx)
    _may_run(ctx, scene, "end the scene")
    s.scenes.drop(ctx)
    await s.scenes.repo.end(scene.id)
    return Reply(text="The scene is over.")
