"""/persona import and /persona export: Character Card V1/V2/V3, as PNG or JSON."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import TYPE_CHECKING

from bot.commands.spec import Param, command
from bot.errors import BadInput
from bot.messages import Attachment, Greetings, Reply
from bot.surface import look
from personas.card_persona import card_of
from personas.cards import png, read, v3
from personas.prompt import fill

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services
    from personas.model import Persona

SPECS = {"chara_card_v1": "V1", "chara_card_v2": "V2", "chara_card_v3": "V3"}


@command(
    "persona",
    "import",
    help="Bring in a character card (SillyTavern, Chub, RisuAI: PNG or JSON, V1/V2/V3)",
    params=(
        Param(
            "card",
            "a character card file (PNG or JSON)",
            type="file",
            required=True,
            positional=True,
        ),
        Param("name", "its name here (default: made from the card's)"),
        Param("replace", "replace your own persona of that name", type="bool"),
    ),
)
async def persona_import(
    s: Services, ctx: Context, card: Attachment | None, name: str | None, replace: bool | None
) -> Reply:
    """A private persona from the card, and switch to it; nothing changes if the card is bad."""
    if card is None or not card.data:
        raise BadInput("attach a character card (PNG or JSON) to /persona import")
    parsed = read(card.data, s.personas.card_limits())
    picture = await s.pictures.of_card(card.data, parsed)
    p, replaced = await s.personas.import_card(ctx, parsed, name, bool(replace), picture)
    await s.personas.switch(ctx, p.name)
    how = "replacing yours" if replaced else "private to you"
    text = (
        f"Imported {p.display_name} ({p.name}) from a {SPECS[parsed.spec]} card, {how}. "
        "You are now talking to it."
    )
    if p.greeting:
        said = fill(p.greeting, p, await s.conversation.user_name(ctx, p))
        text += f"\n\n{p.display_name}: {said}"
    return Reply(text=text, ephemeral=True)


@command(
    "persona",
    "export",
    help="Download a persona as a Character Card V3 (PNG with the V2 chunk too, or JSON)",
    params=(
        Param("name", "which persona (default: the active one)", type="persona", positional=True),
        Param("format", "png (default) or json", choices=("png", "json")),
    ),
)
async def persona_export(s: Services, ctx: Context, name: str | None, format: str | None) -> Reply:
    """Any persona this user may talk to here: their own, presets, ones shared here."""
    p = await s.personas.find(ctx, name) if name else await s.personas.active(ctx)
    card = card_of(p)
    if s.documents is not None and (docs := await s.documents.documents(p.id)):
        # What the persona reads from goes along by name and hash (the files stay here).
        ours = {**card.extensions.get("personabot", {}), "documents": [d.listing() for d in docs]}
        card = replace(card, extensions={**card.extensions, "personabot": ours})
    if format == "json":
        body = json.dumps(v3(card), ensure_ascii=False, indent=2).encode()
        file = Attachment(f"{p.name}.json", "application/json", body)
    else:
        found = await s.pictures.get(p.avatar_image)
        file = Attachment(f"{p.name}.png", "image/png", png(card, found.data if found else None))
    return Reply(
        text=f"{p.display_name} as a character card: {file.filename}",
        attachments=(file,),
        ephemeral=True,
    )


async def greeting_reply(s: Services, ctx: Context, p: Persona, n: int) -> Reply:
    """Greeting `n` of the persona (wrapping around), with ◀ ▶ when it has several."""
    greets = s.personas.greetings(p)
    if not greets:
        raise BadInput(f"{p.display_name} has no greeting")
    n = (n - 1) % len(greets) + 1
    text = fill(greets[n - 1], p, await s.conversation.user_name(ctx, p))
    marks = Greetings(p.id, n, len(greets)) if len(greets) > 1 else None
    return Reply(text=text, persona=look(p), greetings=marks)


@command(
    "persona",
    "greet",
    help="Another of the active persona's greetings (a card's alternate greetings)",
    params=(Param("n", "which one, 1 = the first", type="int", positional=True, min=1),),
)
async def persona_greet(s: Services, ctx: Context, n: int | None) -> Reply:
    """Greeting `n`, or the one after the last shown."""
    p = await s.personas.active(ctx)
    key = (ctx.user_id, p.id)
    shown = n or s.conversation.greeted.get(key, 1) + 1
    reply = await greeting_reply(s, ctx, p, shown)
    s.conversation.greeted[key] = reply.greetings.shown if reply.greetings else 1
    return reply
