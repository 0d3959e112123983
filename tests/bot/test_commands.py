"""The command layer end to end through the core: personas, presets, memory, help, usage."""

from __future__ import annotations

from typing import Any

import pytest

from bot.commands.parse import parse
from bot.commands.spec import REGISTRY, all_commands
from bot.core import Core
from bot.errors import BadInput
from tests.support.fake_openai import FakeOpenAI


def test_every_command_of_the_grammar_is_declared_with_help() -> None:
    paths = {c.path for c in all_commands()}
    expected = {
        ("help",),
        ("usage",),
        *[("persona", a) for a in ("list", "show", "create", "edit", "switch", "delete")],
        *[("preset", a) for a in ("list", "add", "edit", "disable", "enable", "remove")],
        *[("model", a) for a in ("show", "set", "temperature", "reset")],
        ("memory", "list"),
        ("memory", "wipe"),
    }
    assert expected <= paths
    for spec in all_commands():
        assert spec.help and all(p.help for p in spec.params)


def test_parser_types_quotes_and_telegram_form() -> None:
    all_commands()
    spec, args = parse(
        '/persona create Luna prompt="You are Luna, kind." temperature=0.4 public=yes', REGISTRY
    )
    assert spec.path == ("persona", "create")
    assert args == {
        "name": "Luna",
        "prompt": "You are Luna, kind.",
        "temperature": 0.4,
        "public": True,
    }
    spec, args = parse("/persona_switch@PersonaBot luna", REGISTRY)
    assert spec.path == ("persona", "switch") and args == {"name": "luna"}
    with pytest.raises(BadInput, match="temperature must be a number"):
        parse("/persona create x temperature=hot", REGISTRY)
    with pytest.raises(BadInput, match="has no option 'colour'"):
        parse("/persona create x colour=red", REGISTRY)
    with pytest.raises(BadInput, match="needs name"):
        parse("/persona switch", REGISTRY)
    with pytest.raises(BadInput, match="check the quotes"):
        parse('/persona create x prompt="unclosed', REGISTRY)
    with pytest.raises(BadInput, match="unknown action 'fly' for /persona"):
        parse("/persona fly", REGISTRY)
    with pytest.raises(BadInput, match="unknown command /nope"):
        parse("/nope", REGISTRY)


async def test_create_switch_show_edit_delete(core: Core, user: Any, fake_llm: FakeOpenAI) -> None:
    alice = user("alice")
    made = await alice.say(
        '/persona create Luna prompt="You are Luna." greeting="Hello, stargazer!" '
        'template=creative-collaborator bio="A moon spirit"'
    )
    assert not made.error and "Created Luna (luna)" in made.text
    shown = await alice.say("/persona show")
    assert "Luna (luna) — private" in shown.text
    assert "openness:95" in shown.text  # prefilled from the template
    assert "prompt: You are Luna." in shown.text
    await alice.say("/persona switch assistant")
    back = await alice.say("/persona switch luna")
    assert (
        back.text == "Hello, stargazer!" and back.persona and back.persona.display_name == "Luna"
    )
    edited = await alice.say('/persona edit luna display="Luna Moon" traits="humor:90"')
    assert "Updated Luna Moon" in edited.text
    reply = await alice.say("hi")
    assert reply.persona and reply.persona.display_name == "Luna Moon"
    assert "humor 90/100" in fake_llm.requests[-1]["messages"][0]["content"]
    ask = await alice.say("/persona delete luna")
    assert ask.confirm is not None and "Delete Luna Moon" in ask.text
    no = await alice.answer(False)
    assert "Cancelled" in no.text and "luna" in (await alice.say("/persona list")).text
    await alice.say("/persona delete luna")
    yes = await alice.answer(True)
    assert "Deleted Luna Moon" in yes.text
    listing = await alice.say("/persona list")
    assert "luna" not in listing.text and "* assistant" in listing.text  # back to the default


async def test_bad_fields_are_refused_naming_the_limit(core: Core, user: Any) -> None:
    alice = user("alice")
    long_bio = "b" * 501
    reply = await alice.say(f'/persona create luna bio="{long_bio}"')
    assert reply.error and "bio is too long: 501 characters (limit 500)" in reply.text
    reply = await alice.say('/persona create "two words"')
    assert reply.error and "only letters, digits" in reply.text
    reply = await alice.say("/persona create luna avatar=ftp://x")
    assert reply.error and "http(s) URL" in reply.text
    reply = await alice.say('/persona create luna traits="openness:150"')
    assert reply.error and "between 0 and 100" in reply.text
    reply = await alice.say("/persona create luna template=goth")
    assert reply.error and "unknown template 'goth'" in reply.text
    assert "luna" not in (await alice.say("/persona list")).text


async def test_names_collide_per_scope(core: Core, user: Any) -> None:
    alice, bob = user("alice"), user("bob")
    assert not (await alice.say("/persona create luna")).error
    clash = await alice.say("/persona create Luna")
    assert clash.error and "the name 'luna' is taken (you already have one)" in clash.text
    preset = await alice.say("/persona create tutor")
    assert preset.error and "a preset has it" in preset.text
    assert not (await bob.say("/persona create luna")).error  # another user's scope


async def test_public_personas_are_shared_in_their_space_only(core: Core, user: Any) -> None:
    alice = user("alice", space="g1", kind="group")
    bob_here = user("bob", space="g1", kind="group")
    bob_elsewhere = user("bob", space="g2", kind="group")
    await alice.say('/persona create luna prompt="x"')
    assert (await bob_here.say("/persona switch luna")).error
    await alice.say("/persona edit luna public=yes")
    assert not (await bob_here.say("/persona switch luna")).error
    assert (await bob_elsewhere.say("/persona switch luna")).error
    shown = await bob_here.say("/persona show luna")
    assert "prompt:" not in shown.text  # only the owner sees the prompt


async def test_active_persona_is_per_space(core: Core, user: Any) -> None:
    here = user("alice", space="a")
    there = user("alice", space="b")
    await here.say("/persona switch coder")
    assert (await here.say("hi")).persona.name == "coder"  # type: ignore[union-attr]
    assert (await there.say("hi")).persona.name == "assistant"  # type: ignore[union-attr]


async def test_disabled_preset_falls_back_to_default(core: Core, user: Any) -> None:
    alice = user("alice")
    root = user("root")
    await alice.say("/persona switch coder")
    await root.say("/preset disable coder")
    assert (await alice.say("hi")).persona.name == "assistant"  # type: ignore[union-attr]
    assert "[disabled]" in (await root.say("/preset list")).text
    await root.say("/preset enable coder")
    assert (await alice.say("/persona switch coder")).persona is not None


async def test_memory_list_wipe_and_usage(core: Core, user: Any) -> None:
    alice, bob = user("alice"), user("bob")
    for i in range(12):
        await alice.say(f"note {i}")
    await bob.say("bob's secret")
    page1 = await alice.say("/memory list")
    assert "page 1/2, 12 in all" in page1.text and "episode: note 11" in page1.text
    assert "note 0" not in page1.text and "bob's secret" not in page1.text
    page2 = await alice.say("/memory list page=2")
    assert "note 0" in page2.text
    assert "no fact memories" in (await alice.say("/memory list fact")).text
    usage = await alice.say("/usage")
    assert "assistant: 12 replies" in usage.text
    ask = await alice.say("/memory wipe")
    assert "Delete all 24 messages and 12 memories" in ask.text
    done = await alice.answer(True)
    assert "Deleted 24 messages and 12 memories" in done.text
    assert "no memories" in (await alice.say("/memory list")).text
    stats = await alice.say("/memory stats")
    assert "messages: 0" in stats.text and "search index: 0 of 0" in stats.text
    assert "bob's secret" in (await bob.say("/memory list")).text
    assert "assistant: 12 replies" in (await alice.say("/usage")).text  # usage survives a wipe


async def test_help(core: Core, user: Any) -> None:
    alice = user("alice")
    overview = await alice.say("/help")
    assert "/persona" in overview.text and "/help persona" in overview.text
    group = await alice.say("/help persona")
    assert "/persona create <name>" in group.text
    one = await alice.say("/help persona create")
    assert "traits:" in one.text and "Big-Five" in one.text
    assert (await alice.say("/help nothing")).error


async def test_model_set_rejects_unknown_models(core: Core, user: Any) -> None:
    alice = user("alice")
    bad = await alice.say("/model set not-a-provider-model-xyz")
    assert bad.error and "does not know the model" in bad.text
    ok = await alice.say("/model set ollama_chat/llama3.2")
    assert not ok.error
    assert "ollama_chat/llama3.2 (from space)" in (await alice.say("/model show")).text


def test_apostrophes_and_unquoted_free_text() -> None:
    """Quotes stay optional: an apostrophe is a letter, the last free text takes the rest."""
    all_commands()
    assert parse("/memory search what's my dog called", REGISTRY)[1] == {
        "query": "what's my dog called"
    }
    assert parse("/persona edit luna bio=It's fun", REGISTRY)[1] == {
        "name": "luna",
        "bio": "It's fun",
    }
    assert parse('/persona edit luna bio="It\'s fun" style=short', REGISTRY)[1] == {
        "name": "luna",
        "bio": "It's fun",
        "style": "short",
    }
    line = "/persona create luna prompt=You are Luna, a moon spirit. public=yes"
    _, args = parse(line, REGISTRY)
    assert args == {"name": "luna", "prompt": "You are Luna, a moon spirit.", "public": True}
    assert parse("/persona edit bio=hi luna", REGISTRY)[1] == {"bio": "hi", "name": "luna"}
    with pytest.raises(BadInput, match="too many values"):
        parse("/persona switch luna nova", REGISTRY)  # no free text to take the rest


async def test_editing_traits_merges_unless_told_to_replace(core: Core, user: Any) -> None:
    alice = user("alice")
    await alice.say('/persona create luna prompt="x" traits="openness:80 humor:60 wit:50"')

    async def traits() -> str:
        shown = (await alice.say("/persona show luna")).text
        return next(line for line in shown.splitlines() if "traits:" in line)

    await alice.say('/persona edit luna traits="openness:90 humor:70"')
    after = await traits()
    assert "openness" in after and "humor" in after and "wit" in after  # nothing dropped
    await alice.say("/persona edit luna traits=-wit")
    assert "wit" not in await traits() and "humor" in await traits()
    nothing = await alice.say("/persona edit luna traits=-charm")
    assert nothing.error and "no trait 'charm' to remove" in nothing.text
    await alice.say('/persona edit luna traits!="extraversion:20"')
    replaced = await traits()
    assert "humor" not in replaced and "openness" not in replaced


async def test_names_everyone_sees_here_are_unambiguous(core: Core) -> None:
    from tests.conftest import who

    alice, bob = who("alice", "g", "group"), who("bob", "g", "group")
    made = await core.handle_text(alice, '/persona create helper prompt="A" public=yes')
    assert not made.error
    clash = await core.handle_text(bob, '/persona create helper prompt="B" public=yes')
    assert clash.error and "already shares a persona named 'helper' here" in clash.text
    assert not (await core.handle_text(bob, '/persona create helper prompt="B"')).error  # own
    shared = await core.handle_text(bob, "/persona edit helper public=yes")
    assert shared.error and "already shares" in shared.text
    posing = await core.handle_text(bob, '/persona create fake prompt="x" display=Assistant')
    assert posing.error and "display name of a preset" in posing.text
    renamed = await core.handle_text(bob, "/persona edit helper display=assistant")
    assert renamed.error and "display name of a preset" in renamed.text
    switched = await core.handle_text(who("cat", "g", "group"), "/persona switch helper")
    assert not switched.error  # one persona answers to "helper" for everyone else
