"""Shipped presets and templates, read from the YAML files beside this module."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from personas.errors import BadInput, ConfigError
from personas.traits import BIG_FIVE

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PRESET_DIR = HERE / "presets"
TEMPLATE_FILE = HERE / "templates.yaml"

PRESET_KEYS = {
    "name",
    "display_name",
    "bio",
    "avatar_url",
    "system_prompt",
    "greeting",
    "example_dialogue",
    "post_history",
    "traits",
    "custom_traits",
    "domains",
    "style",
    "voice",
    "model",
    "temperature",
    "template",
}


@dataclass(frozen=True)
class Template:
    """Prefilled traits and style for new personas."""

    name: str
    description: str
    traits: dict[str, int] = field(default_factory=dict)
    custom_traits: dict[str, int] = field(default_factory=dict)
    style: str = ""


def load_templates(path: Path = TEMPLATE_FILE) -> dict[str, Template]:
    """All templates by name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {
        name: Template(
            name=name,
            description=body.get("description", ""),
            traits=dict(body.get("traits") or {}),
            custom_traits=dict(body.get("custom_traits") or {}),
            style=body.get("style", ""),
        )
        for name, body in data.items()
    }


def apply_template(fields: dict[str, Any], templates: dict[str, Template]) -> dict[str, Any]:
    """Fill traits/style from fields['template'] where the fields leave them unset."""
    name = fields.get("template")
    if not name:
        return fields
    tpl = templates.get(name)
    if tpl is None:
        raise BadInput(f"unknown template '{name}'; choose from: {', '.join(sorted(templates))}")
    merged = dict(fields)
    merged["traits"] = {**tpl.traits, **(fields.get("traits") or {})}
    merged["custom_traits"] = {**tpl.custom_traits, **(fields.get("custom_traits") or {})}
    if not fields.get("style"):
        merged["style"] = tpl.style
    return merged


def _read_preset(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"preset {path.name}: invalid YAML ({exc})") from None
    if not isinstance(data, dict) or not data.get("name") or not data.get("system_prompt"):
        raise ConfigError(f"preset {path.name}: needs at least 'name' and 'system_prompt'")
    unknown = set(data) - PRESET_KEYS
    if unknown:
        raise ConfigError(f"preset {path.name}: unknown key(s) {', '.join(sorted(unknown))}")
    bad = [k for k in (data.get("traits") or {}) if k not in BIG_FIVE]
    if bad:
        raise ConfigError(f"preset {path.name}: unknown Big-Five trait(s) {', '.join(bad)}")
    data.setdefault("display_name", str(data["name"]).title())
    data["domains"] = list(data.get("domains") or [])
    return data


def load_presets(extra_dir: str = "") -> list[dict[str, Any]]:
    """Shipped presets plus those in extra_dir (later files win on a name clash)."""
    paths = sorted(PRESET_DIR.glob("*.yaml"))
    if extra_dir:
        paths += sorted(Path(extra_dir).glob("*.yaml"))
    by_name: dict[str, dict[str, Any]] = {}
    for path in paths:
        preset = _read_preset(path)
        by_name[str(preset["name"]).lower()] = preset
    return list(by_name.values())
