"""Traits, validation, presets, templates and the prompt builder."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import LimitsConfig
from bot.errors import BadInput, ConfigError
from personas.catalog import apply_template, load_presets, load_templates
from personas.model import Persona, validate_fields, validate_name
from personas.prompt import HistoryItem, build_messages
from personas.traits import describe_traits, format_traits, parse_traits

LIMITS = LimitsConfig()  # type: ignore[call-arg]


def test_traits_round_trip_and_describe() -> None:
    big, custom = parse_traits("o:90, neuroticism:10 humor:70")
    assert big == {"openness": 90, "neuroticism": 10} and custom == {"humor": 70}
    assert parse_traits(format_traits(big, custom)) == (big, custom)
    text = describe_traits(big, custom)
    assert "very curious and imaginative" in text and "steady and unflappable" in text
    assert "humor 70/100" in text
    assert describe_traits({"openness": 50}, {}) == ""


@pytest.mark.parametrize("bad", ["openness", "openness:x", "openness:101", "sp ace:3!"])
def test_bad_traits_are_refused(bad: str) -> None:
    with pytest.raises(BadInput):
        parse_traits(bad)


def test_names_and_fields() -> None:
    assert validate_name("Luna_2", LIMITS) == "luna_2"
    for bad in ("x", "a" * 33, "no spaces", "émoji"):
        with pytest.raises(BadInput):
            validate_name(bad, LIMITS)
    out = validate_fields({"prompt": " hi ", "domains": "a, b;c", "public": True}, LIMITS)
    assert out == {"system_prompt": "hi", "domains": ["a", "b", "c"], "visibility": "public"}
    with pytest.raises(BadInput, match="limit 4000"):
        validate_fields({"prompt": "p" * 4001}, LIMITS)
    with pytest.raises(BadInput, match="between 0 and 2"):
        validate_fields({"temperature": 3}, LIMITS)


def test_presets_cover_focus_modes_and_companions() -> None:
    names = {p["name"] for p in load_presets()}
    assert {
        "assistant",
        "coder",
        "writer",
        "analyst",
        "researcher",
        "friend",
        "coach",
        "tutor",
    } <= names
    templates = load_templates()
    for preset in load_presets():
        assert preset["system_prompt"] and preset["display_name"]
        assert not preset.get("template") or preset["template"] in templates


def test_broken_preset_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: x\nsystem_prompt: [unclosed\n")
    with pytest.raises(ConfigError, match=r"preset bad\.yaml: invalid YAML"):
        load_presets(str(tmp_path))
    (tmp_path / "bad.yaml").write_text("name: x\nsystem_prompt: hi\ncolour: red\n")
    with pytest.raises(ConfigError, match="unknown key"):
        load_presets(str(tmp_path))


def test_template_fills_only_what_is_unset() -> None:
    templates = load_templates()
    merged = apply_template(
        {"template": "analytical-expert", "traits": {"openness": 10}, "style": "mine"}, templates
    )
    assert merged["traits"]["openness"] == 10
    assert merged["traits"]["conscientiousness"] == 90
    assert merged["style"] == "mine"


def test_prompt_builder_trims_oldest_history_first() -> None:
    persona = Persona(
        id=1,
        name="luna",
        display_name="Luna",
        system_prompt="You are Luna.",
        post_history="Stay Luna.",
        domains=("stars",),
    )
    history = [
        HistoryItem("user", "a" * 50),
        HistoryItem("assistant", "b" * 50),
        HistoryItem("user", "c" * 50),
    ]
    msgs = build_messages(persona, history, "now", user_name="Ann", history_chars=120)
    assert msgs[0]["role"] == "system" and "You are talking with Ann." in msgs[0]["content"]
    assert [m["content"][0] for m in msgs[1:-2]] == ["b", "c"]
    assert msgs[-2] == {"role": "user", "content": "now"}
    assert msgs[-1] == {"role": "system", "content": "Stay Luna."}


def test_a_persona_decay_cannot_wipe_its_users_memories() -> None:
    """A public persona's half-life applies to everyone's memories of it: at least a day."""
    from personas.model import parse_decay

    assert parse_decay("linear:1") == ("linear", 1.0)
    assert parse_decay("") is None
    for bad in ("linear:1e-300", "exponential:0.5", "linear:nan", "linear:inf", "linear:4000"):
        with pytest.raises(BadInput, match="decay"):
            parse_decay(bad)
