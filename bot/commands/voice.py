"""/voice list|set|on|off|upload: spoken replies and persona voices."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, command
from bot.errors import BadInput, PermissionDenied
from bot.messages import Attachment, Reply
from bot.voice.providers import SpeechFailed

if TYPE_CHECKING:
    from bot.context import Context
    from bot.core import Core
    from personas.model import Persona


def _voice(core: Core) -> Any:
    if core.voice is None or core.voice.provider is None:
        raise BadInput("spoken replies are turned off here (voice.provider: none)")
    return core.voice


async def _speaking_persona(core: Core, ctx: Context, name: str | None) -> Persona:
    """The persona whose voice changes: own custom personas, or presets for their admins."""
    p = await core.personas.find(ctx, name) if name else await core.personas.active(ctx)
    return core.personas.may_change(ctx, p, "change its voice")


@command("voice", "list", help="Voices a persona can speak with")
async def voice_list(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """The provider's voices; the active persona's voice marked."""
    voice = _voice(core)
    try:
        voices = await voice.voices()
    except SpeechFailed as exc:
        raise BadInput(str(exc)) from None
    active = await core.personas.active(ctx)
    current = voice.voice_for(active)
    lines = [f"Voices ({voice.name}; * = {active.display_name}'s; /voice set <id>):"]
    for v in voices[:50]:
        mark = "*" if v.id == current else " "
        extra = f" — {v.description}" if v.description else ""
        lines.append(f" {mark} {v.id} — {v.name}{extra}")
    if len(voices) > 50:
        lines.append(f"   … and {len(voices) - 50} more")
    if active.custom_voice_id:
        lines.append(f"{active.display_name} speaks with its own cloned voice.")
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "voice",
    "set",
    help="Choose the voice of the active persona (owner; presets: admins)",
    params=(
        Param("voice", "a voice id from /voice list", required=True, positional=True),
        Param("name", "which persona (default: the active one)", type="persona"),
    ),
)
async def voice_set(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Set the persona's preset voice (a cloned voice still wins until it is removed)."""
    voice = _voice(core)
    p = await _speaking_persona(core, ctx, args.get("name"))
    wanted = str(args["voice"]).strip()
    core.check_option("voice", wanted)
    try:
        known = {v.id for v in await voice.voices()}
    except SpeechFailed:
        known = set()  # can't check now; the provider will say at the first reply
    if known and wanted not in known:
        raise BadInput(f"no voice '{wanted}' — /voice list shows them")
    await core.personas.repo.update(p.id, {"voice": wanted})
    note = " (its cloned voice still takes precedence)" if p.custom_voice_id else ""
    return Reply(text=f"{p.display_name} now speaks with {wanted}.{note}", ephemeral=True)


async def _toggle(core: Core, ctx: Context, on: bool) -> Reply:
    _voice(core)
    await core.voice_prefs.set(ctx.user_id, ctx.space_id, on)
    text = "Replies here will be spoken too." if on else "Replies here are text only."
    return Reply(text=text, ephemeral=True)


@command("voice", "on", help="Hear replies as voice here (text still comes too)")
async def voice_on(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Spoken replies on for this user in this space."""
    return await _toggle(core, ctx, True)


@command("voice", "off", help="Text-only replies here")
async def voice_off(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """Spoken replies off for this user in this space."""
    return await _toggle(core, ctx, False)


@command(
    "voice",
    "upload",
    help="Clone a voice for your persona from an audio sample (mp3, wav, ogg, m4a, flac)",
    params=(
        Param("sample", "the audio sample (up to 10 MB)", type="file", required=True),
        Param("name", "which of your personas (default: the active one)", type="persona"),
    ),
)
async def voice_upload(core: Core, ctx: Context, args: dict[str, Any]) -> Reply:
    """An instant voice clone for a persona this user owns."""
    voice = _voice(core)
    files: tuple[Attachment, ...] = args.get("attachments", ())
    if not files or not files[0].data:
        raise BadInput("attach an audio sample to /voice upload")
    p = (
        await core.personas.find(ctx, args["name"])
        if args.get("name")
        else (await core.personas.active(ctx))
    )
    if p.is_preset or p.owner_id != ctx.user_id:
        raise PermissionDenied(f"you can clone a voice only for a persona you own, not '{p.name}'")
    if not voice.provider.can_clone:
        raise BadInput("voice cloning needs ElevenLabs: set ELEVENLABS_API_KEY")
    voice.check_sample(files[0])
    try:
        voice_id = await voice.clone(p, files[0])
    except SpeechFailed as exc:
        raise BadInput(str(exc)) from None
    old = p.custom_voice_id
    await core.personas.repo.update(p.id, {"custom_voice_id": voice_id})
    if old:
        await voice.forget_clone(old)
    return Reply(
        text=f"{p.display_name} now speaks with a voice cloned from your sample.", ephemeral=True
    )
