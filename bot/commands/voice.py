"""/voice list|set|on|off|upload: spoken replies and persona voices."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import Param, Target, command
from bot.errors import BadInput
from bot.messages import Attachment, Reply
from bot.voice.providers import SpeechFailed

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from bot.voice.service import VoiceService
    from personas.model import Persona


def _voice(s: Services) -> VoiceService:
    if s.voice is None or s.voice.provider is None:
        raise BadInput("spoken replies are turned off here (voice.provider: none)")
    return s.voice


@command("voice", "list", help="Voices a persona can speak with")
async def voice_list(s: Services, ctx: Context) -> Reply:
    """The provider's voices; the active persona's voice marked."""
    voice = _voice(s)
    try:
        voices = await voice.voices()
    except SpeechFailed as exc:
        raise BadInput(str(exc)) from None
    active = await s.personas.active(ctx)
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
    target=Target(
        "name",
        "change",
        default_active=True,
        doing="change its voice",
        presets="change the voice of presets",
    ),
)
async def voice_set(
    s: Services, ctx: Context, voice: str, name: str | None, target: Persona
) -> Reply:
    """Set the persona's preset voice (a cloned voice still wins until it is removed)."""
    speech = _voice(s)
    p = target
    wanted = voice.strip()
    s.personas.fields({"voice": wanted})
    try:
        known = {v.id for v in await speech.voices()}
    except SpeechFailed:
        known = set()  # can't check now; the provider will say at the first reply
    if known and wanted not in known:
        raise BadInput(f"no voice '{wanted}' — /voice list shows them")
    await s.personas.update(p, {"voice": wanted}, ctx.user_id)
    note = " (its cloned voice still takes precedence)" if p.custom_voice_id else ""
    return Reply(text=f"{p.display_name} now speaks with {wanted}.{note}", ephemeral=True)


async def _toggle(s: Services, ctx: Context, on: bool) -> Reply:
    _voice(s)
    await s.voice_prefs.set(ctx.user_id, ctx.space_id, on)
    text = "Replies here will be spoken too." if on else "Replies here are text only."
    return Reply(text=text, ephemeral=True)


@command("voice", "on", help="Hear replies as voice here (text still comes too)")
async def voice_on(s: Services, ctx: Context) -> Reply:
    """Spoken replies on for this user in this space."""
    return await _toggle(s, ctx, True)


@command("voice", "off", help="Text-only replies here")
async def voice_off(s: Services, ctx: Context) -> Reply:
    """Spoken replies off for this user in this space."""
    return await _toggle(s, ctx, False)


@command(
    "voice",
    "upload",
    help="Clone a voice for your persona from an audio sample (mp3, wav, ogg, m4a, flac)",
    params=(
        Param("sample", "an audio sample (up to 10 MB)", type="file", required=True),
        Param("name", "which of your personas (default: the active one)", type="persona"),
    ),
    target=Target(
        "name",
        "owner",
        default_active=True,
        refusal="you can clone a voice only for a persona you own, not '{name}'",
    ),
)
async def voice_upload(
    s: Services, ctx: Context, sample: Attachment | None, name: str | None, target: Persona
) -> Reply:
    """An instant voice clone for a persona this user owns."""
    voice = _voice(s)
    if sample is None or not sample.data:
        raise BadInput("attach an audio sample to /voice upload")
    if voice.provider is None or not voice.provider.can_clone:
        raise BadInput("voice cloning needs ElevenLabs: set ELEVENLABS_API_KEY")
    voice.check_sample(sample)
    try:
        voice_id = await voice.clone(target, sample)
    except SpeechFailed as exc:
        raise BadInput(str(exc)) from None
    old = target.custom_voice_id
    await s.personas.update(target, {"custom_voice_id": voice_id}, ctx.user_id)
    if old:
        await voice.forget_clone(old)
    return Reply(
        text=f"{target.display_name} now speaks with a voice cloned from your sample.",
        ephemeral=True,
    )
