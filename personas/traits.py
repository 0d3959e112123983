"""Big-Five traits (0-100) plus custom named traits, parsed from text and described in prose."""

from __future__ import annotations

import re

from personas.errors import BadInput

BIG_FIVE = ("openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism")
_ALIASES = {
    "o": "openness",
    "c": "conscientiousness",
    "e": "extraversion",
    "a": "agreeableness",
    "n": "neuroticism",
}
# (low description, high description) for each Big-Five trait.
_POLES = {
    "openness": ("practical and conventional", "curious and imaginative"),
    "conscientiousness": ("easy-going and spontaneous", "careful, organised and thorough"),
    "extraversion": ("reserved and calm", "outgoing and energetic"),
    "agreeableness": ("frank and challenging", "warm, kind and cooperative"),
    "neuroticism": ("steady and unflappable", "sensitive and emotionally expressive"),
}
_TRAIT_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
MAX_CUSTOM = 12


def parse_traits(text: str) -> tuple[dict[str, int], dict[str, int]]:
    """Parse "openness:80 humor:60" (or comma separated) into (big_five, custom)."""
    big: dict[str, int] = {}
    custom: dict[str, int] = {}
    for item in re.split(r"[,\s]+", text.strip()):
        if not item:
            continue
        name, sep, raw = item.partition(":")
        if not sep:
            name, sep, raw = item.partition("=")
        name = name.strip().lower()
        if not sep or not raw.strip().lstrip("-").isdigit():
            raise BadInput(f"trait '{item}' should look like name:0-100, e.g. openness:80")
        value = int(raw)
        if not 0 <= value <= 100:
            raise BadInput(f"trait '{name}' must be between 0 and 100 (got {value})")
        name = _ALIASES.get(name, name)
        if name in BIG_FIVE:
            big[name] = value
        elif _TRAIT_NAME.match(name):
            custom[name] = value
        else:
            raise BadInput(f"trait name '{name}' may use only letters, digits, - and _")
    if len(custom) > MAX_CUSTOM:
        raise BadInput(f"at most {MAX_CUSTOM} custom traits (got {len(custom)})")
    return big, custom


def merge_traits(
    big: dict[str, int], custom: dict[str, int], change: str
) -> tuple[dict[str, int], dict[str, int]]:
    """Apply an edit to existing traits: "humor:70" sets one and keeps the rest, "-humor"
    removes one, and a leading "!" ("!openness:90") replaces them all."""
    if change.strip().startswith("!"):
        return parse_traits(change.strip()[1:])
    big, custom = dict(big), dict(custom)
    setting = []
    for item in re.split(r"[,\s]+", change.strip()):
        if item.startswith("-") and len(item) > 1:
            name = _ALIASES.get(item[1:].lower(), item[1:].lower())
            if name not in big and name not in custom:
                raise BadInput(f"there is no trait '{name}' to remove")
            big.pop(name, None)
            custom.pop(name, None)
        elif item:
            setting.append(item)
    new_big, new_custom = parse_traits(" ".join(setting))
    big.update(new_big)
    custom.update(new_custom)
    if len(custom) > MAX_CUSTOM:
        raise BadInput(f"at most {MAX_CUSTOM} custom traits (got {len(custom)})")
    return big, custom


def format_traits(big: dict[str, int], custom: dict[str, int]) -> str:
    """Render traits back into the text form parse_traits reads."""
    items = [f"{k}:{big[k]}" for k in BIG_FIVE if k in big]
    items += [f"{k}:{v}" for k, v in sorted(custom.items())]
    return " ".join(items)


def describe_traits(big: dict[str, int], custom: dict[str, int]) -> str:
    """Prose for the system prompt; mid-range Big-Five values say nothing."""
    parts: list[str] = []
    for trait in BIG_FIVE:
        value = big.get(trait)
        if value is None:
            continue
        low, high = _POLES[trait]
        if value >= 67:
            parts.append(("very " if value >= 85 else "") + high)
        elif value <= 33:
            parts.append(("very " if value <= 15 else "") + low)
    for name, value in sorted(custom.items()):
        parts.append(f"{name.replace('_', ' ')} {value}/100")
    return "; ".join(parts)
