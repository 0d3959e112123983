"""What a persona is, and the validation of every user-editable field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import urlparse

from personas.errors import BadInput
from personas.traits import parse_traits

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class FieldLimits(Protocol):
    name: int
    display_name: int
    bio: int
    prompt: int
    greeting: int
    example_dialogue: int
    post_history: int
    style: int
    domains: int


@dataclass(frozen=True)
class Persona:
    """A persona as the core sees it (a preset when owner_id is None)."""

    id: int
    name: str
    display_name: str
    system_prompt: str = ""
    bio: str = ""
    avatar_url: str = ""
    avatar_image: str = ""  # a stored picture's id (its content hash); wins over the URL
    greeting: str = ""
    example_dialogue: str = ""
    post_history: str = ""
    traits: dict[str, int] = field(default_factory=dict)
    custom_traits: dict[str, int] = field(default_factory=dict)
    domains: tuple[str, ...] = ()
    style: str = ""
    voice: str = ""
    custom_voice_id: str = ""  # a cloned voice (ElevenLabs), preferred over `voice`
    model: str = ""
    temperature: float | None = None
    template: str = ""
    visibility: str = "private"
    owner_id: int | None = None
    space_id: int | None = None
    is_preset: bool = False
    source: str = "user"
    enabled: bool = True
    status: str = "active"
    usage_count: int = 0
    knowledge: str = ""
    decay: str = ""  # "" (config) or "<function>:<half-life days>", e.g. "linear:14"
    retire_after_days: int | None = None
    retire_on: datetime | None = None
    farewell: str = ""
    retired_at: datetime | None = None
    card: dict[str, Any] = field(default_factory=dict)  # an imported card's other fields
    moderated: str = ""  # taken down: "space" (by its space's admins) or "bot" (bot admins)
    moderation_reason: str = ""
    last_used_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def taken_down_by(self) -> str:
        """Who took it down, as its owner is told ("" when it was not)."""
        return {"bot": "the bot's admins", "space": "this place's admins"}.get(self.moderated, "")

    @property
    def scope_label(self) -> str:
        """Where the persona lives, for listings."""
        if self.is_preset:
            return "preset (this space)" if self.space_id else "preset"
        return "public" if self.visibility == "public" else "private"


# Option names users type → persona fields.
OPTION_FIELDS = {
    "display": "display_name",
    "prompt": "system_prompt",
    "bio": "bio",
    "avatar": "avatar_url",
    "greeting": "greeting",
    "examples": "example_dialogue",
    "post": "post_history",
    "style": "style",
    "voice": "voice",
    "model": "model",
    "temperature": "temperature",
    "domains": "domains",
    "traits": "traits",
    "public": "visibility",
    "template": "template",
    "decay": "decay",
}

_TEXT_LIMITS = {
    "display_name": "display_name",
    "system_prompt": "prompt",
    "bio": "bio",
    "greeting": "greeting",
    "example_dialogue": "example_dialogue",
    "post_history": "post_history",
    "style": "style",
}


DECAY_FUNCTIONS = ("exponential", "linear", "logarithmic")


MIN_HALF_LIFE_DAYS = 1.0
MAX_HALF_LIFE_DAYS = 3650.0


def parse_decay(text: str) -> tuple[str, float] | None:
    """A persona's `decay`: "" (use config) or "<function>:<half-life days>"."""
    text = text.strip().lower()
    if not text:
        return None
    function, _, days = text.partition(":")
    try:
        half_life = float(days) if days else 0.0
    except ValueError:
        half_life = 0.0
    if function not in DECAY_FUNCTIONS or not half_life == half_life:  # NaN is not a number
        raise BadInput(
            f"decay must look like exponential:30, linear:14 or logarithmic:60 (got '{text}')"
        )
    # A public persona's decay applies to every user's memories of it: a half-life under a
    # day would let its owner wipe them all at the next run.
    if not MIN_HALF_LIFE_DAYS <= half_life <= MAX_HALF_LIFE_DAYS:
        raise BadInput(
            f"decay half-life must be {MIN_HALF_LIFE_DAYS:g} to {MAX_HALF_LIFE_DAYS:g} days "
            f"(got '{days}')"
        )
    return function, half_life


def validate_name(name: str, limits: FieldLimits) -> str:
    """Normalise a persona handle (lower case) or raise BadInput saying why."""
    handle = name.strip().lower()
    if len(handle) < 2:
        raise BadInput("persona name must be at least 2 characters")
    if len(handle) > limits.name:
        raise BadInput(f"persona name is too long: {len(handle)} characters (limit {limits.name})")
    if not _NAME.match(handle):
        raise BadInput(f"persona name '{name}' may use only letters, digits, - and _ (no spaces)")
    return handle


def validate_fields(options: dict[str, Any], limits: FieldLimits) -> dict[str, Any]:
    """Turn command options into persona field values, refusing bad or overlong ones."""
    out: dict[str, Any] = {}
    for option, raw in options.items():
        target = OPTION_FIELDS.get(option)
        if target is None:
            raise BadInput(f"unknown persona field '{option}'")
        if target in _TEXT_LIMITS:
            text = str(raw).strip()
            limit = getattr(limits, _TEXT_LIMITS[target])
            if len(text) > limit:
                raise BadInput(f"{option} is too long: {len(text)} characters (limit {limit})")
            if target == "display_name" and not text:
                raise BadInput("display name cannot be empty")
            out[target] = text
        elif target == "avatar_url":
            url = str(raw).strip()
            parsed = urlparse(url)
            if url and (parsed.scheme not in ("http", "https") or not parsed.netloc):
                raise BadInput("avatar must be an http(s) URL")
            if len(url) > 1000:
                raise BadInput("avatar URL is too long (limit 1000)")
            out[target] = url
        elif target == "temperature":
            temp = float(raw)
            if not 0 <= temp <= 2:
                raise BadInput(f"temperature must be between 0 and 2 (got {temp:g})")
            out[target] = temp
        elif target == "domains":
            items = [d.strip() for d in re.split(r"[,;]", str(raw)) if d.strip()]
            if len(items) > limits.domains:
                raise BadInput(f"too many domains: {len(items)} (limit {limits.domains})")
            if any(len(d) > 60 for d in items):
                raise BadInput("each domain must be at most 60 characters")
            out[target] = items
        elif target == "traits":
            out["traits"], out["custom_traits"] = parse_traits(str(raw))
        elif target == "visibility":
            out[target] = "public" if raw else "private"
        elif target == "decay":
            text = str(raw).strip().lower()
            parse_decay(text)
            out[target] = text
        elif target in ("voice", "model", "template"):
            text = str(raw).strip()
            if len(text) > 200:
                raise BadInput(f"{option} is too long (limit 200)")
            out[target] = text
    return out
