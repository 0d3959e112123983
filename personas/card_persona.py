"""Cards ↔ personas: which card field lands in which persona field, and back."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any

from personas.cards import Card, CardLimits, parse
from personas.model import Persona
from personas.traits import describe_traits

# Card fields a persona holds in its own columns (editable with /persona edit); every other
# field of the card is kept whole in `Persona.card`.
COLUMNS = {
    "first_mes": "greeting",
    "mes_example": "example_dialogue",
    "system_prompt": "system_prompt",
    "post_history_instructions": "post_history",
}
_SLUG = re.compile(r"[^a-z0-9_-]+")


def handle(name: str, limit: int) -> str:
    """A persona name (lowercase letters, digits, - and _) made from a card's name."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = _SLUG.sub("-", plain).strip("-_")[:limit].strip("-_")
    return slug or "character"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def persona_values(card: Card, display_limit: int, bio_limit: int) -> dict[str, Any]:
    """The persona fields an imported card sets."""
    data = card.data()
    values: dict[str, Any] = {col: data.pop(key, "") for key, col in COLUMNS.items()}
    data.pop("name", None)
    values["display_name"] = _clip(card.name, display_limit)
    values["bio"] = _clip(card.creator_notes, bio_limit)
    values["card"] = {**data, "name": card.name}
    return values


def card_of(persona: Persona) -> Card:
    """The card a persona exports: its imported card with its current fields, or one made
    from a persona that was never a card (prompt as description, traits as personality)."""
    data = dict(persona.card)
    if not data:
        personality = describe_traits(persona.traits, persona.custom_traits)
        if persona.style:
            personality = f"{personality}. {persona.style}" if personality else persona.style
        data = {
            "name": persona.display_name,
            "description": persona.system_prompt,
            "personality": personality,
            "creator_notes": persona.bio,
            "tags": list(persona.domains),
        }
        system_prompt = ""
    else:
        system_prompt = persona.system_prompt
    unlimited = CardLimits(file_bytes=1 << 62, field_chars=1 << 62, lore_entries=1 << 62)
    card = parse({"spec": "chara_card_v3", "data": data}, unlimited)
    stored = str(data.get("name") or "")
    # A display name changed since the import wins; one only clipped from the card's does not.
    renamed = persona.display_name != _clip(stored, len(persona.display_name) or 1)
    return replace(
        card,
        name=persona.display_name if renamed or not stored else stored,
        first_mes=persona.greeting,
        mes_example=persona.example_dialogue,
        system_prompt=system_prompt,
        post_history_instructions=persona.post_history,
    )
