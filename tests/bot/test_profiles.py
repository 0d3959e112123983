"""Profiles and experience blocks through the core: set on first use, listed without names,
renamed and merged by bot admins, inferred from scripted JSON, the block attached once to the
prompt of every user with the profile and gone the moment the profile changes."""

from __future__ import annotations

import json

import pytest

from bot.config import ProfilesConfig
from bot.core import Core
from bot.memory.experience import ExperienceKeeper
from bot.messages import Reply, Who
from bot.profiles import Profiles
from tests.conftest import who
from tests.support.fake_openai import FakeOpenAI

ROOT = who("root")  # a bot admin (tests/conftest.py)
ANA, BEN, CY = who("ana"), who("ben"), who("cy")
BLOCK = "People in QSR real estate ask about lease terms and foot traffic first."


async def _ok(core: Core, user: Who, line: str) -> Reply:
    reply = await core.handle_text(user, line)
    assert not reply.error, (line, reply.text)
    return reply


def _system(fake_llm: FakeOpenAI) -> str:
    return "\n".join(
        m["content"] for m in fake_llm.chat_requests[-1]["messages"] if m["role"] == "system"
    )


async def test_profiles_are_created_on_first_use_and_listed_without_names(core: Core) -> None:
    made = await _ok(core, ANA, '/me profile industry=QSR role="Real Estate"')
    assert (
        made.text
        == "Your profile: qsr_real_estate (a new profile) — industry qsr, role real_estate."
    )
    again = await _ok(core, BEN, "/me profile qsr_real_estate")
    assert again.text == "Your profile: qsr_real_estate — industry qsr, role real_estate."
    await _ok(core, CY, "/me profile tobacco_consumer_insights")
    listed = (await _ok(core, ANA, "/profiles list")).text
    assert listed.splitlines() == [
        "qsr_real_estate — qsr / real_estate: 2 people",
        "tobacco_consumer_insights — tobacco / consumer_insights: 1 person",
    ]
    assert "Ana" not in listed and "Ben" not in listed
    bad = await core.handle_text(ANA, "/me profile widgets_maker")
    assert bad.error and "doesn't start with an industry I know" in bad.text
    assert (
        await _ok(core, ANA, "/me profile")
    ).text == "Your profile: qsr_real_estate (you set it)."
    assert (await _ok(core, ANA, "/me profile clear")).text.startswith("Profile cleared")
    assert (await core.handle_text(ANA, "/me profile clear")).error


async def test_bot_admins_rename_merging_blocks_and_remove(core: Core) -> None:
    await _ok(core, ANA, "/me profile qsr_real_estate")
    await _ok(core, BEN, "/me profile industry=qsr role=property")
    refused = await core.handle_text(ANA, "/profiles rename qsr_property qsr_real_estate")
    assert refused.error and "only bot admins" in refused.text
    await _ok(
        core, ROOT, f"/persona experience set profile=qsr_real_estate name=assistant {BLOCK}"
    )
    await _ok(
        core, ROOT, "/persona experience set profile=qsr_property name=assistant Likes maps."
    )
    await _ok(core, ROOT, "/profiles rename qsr_property qsr_real_estate")
    assert (await _ok(core, BEN, "/me profile")).text.startswith("Your profile: qsr_real_estate")
    shown = (
        await _ok(core, ROOT, "/persona experience show profile=qsr_real_estate name=assistant")
    ).text
    assert BLOCK in shown and "Likes maps." in shown  # merged
    listed = (await _ok(core, ROOT, "/profiles list")).text
    assert listed == "qsr_real_estate — qsr / real_estate: 2 people"
    asked = await _ok(core, ROOT, "/profiles remove qsr_real_estate")
    assert asked.confirm is not None
    await core.confirm(asked.confirm.token, ROOT, True)
    assert (await _ok(core, ANA, "/me profile")).text.startswith("You have no profile")


async def test_the_block_is_attached_once_and_detached_at_once(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    await _ok(core, ANA, "/me profile qsr_real_estate")
    await _ok(
        core, ROOT, f"/persona experience set profile=qsr_real_estate name=assistant {BLOCK}"
    )
    await _ok(core, ANA, "hello")
    assert _system(fake_llm).count(BLOCK) == 1
    await _ok(core, ANA, "/me profile qsr_real_estate")  # attached twice: nothing changes
    await _ok(
        core, ROOT, f"/persona experience set profile=qsr_real_estate name=assistant {BLOCK}"
    )
    await _ok(core, ANA, "hello again")
    assert _system(fake_llm).count(BLOCK) == 1
    await _ok(core, BEN, "hello")  # no profile: no block
    assert BLOCK not in _system(fake_llm)
    await _ok(core, ANA, "/me profile tobacco_consumer_insights")
    await _ok(core, ANA, "and now?")
    assert BLOCK not in _system(fake_llm)  # the very next turn
    await _ok(core, ANA, "/me profile qsr_real_estate")
    await _ok(core, ANA, "back")
    assert BLOCK in _system(fake_llm)
    await _ok(core, ANA, "/me profile clear")
    await _ok(core, ANA, "cleared")
    assert BLOCK not in _system(fake_llm)


async def test_experience_is_owners_and_admins_only(core: Core) -> None:
    await _ok(core, ANA, '/persona create kit prompt="Kit."')
    await _ok(core, ANA, "/me profile qsr_real_estate")
    refused = await core.handle_text(
        BEN, f"/persona experience set profile=qsr_real_estate name=assistant {BLOCK}"
    )
    assert refused.error
    done = await _ok(
        core,
        ANA,
        "/persona experience set profile=qsr_real_estate Bob at bob@example.org likes maps.",
    )
    assert done.text.endswith("Personal details were replaced with tags.")
    shown = (await _ok(core, ANA, "/persona experience show profile=qsr_real_estate")).text
    assert "Bob" not in shown and "bob@" not in shown and "likes maps." in shown
    unknown = await core.handle_text(ANA, "/persona experience show profile=qsr_nobody")
    assert unknown.error and "there is no profile qsr_nobody" in unknown.text


async def test_the_keeper_writes_a_block_from_several_users_of_a_profile(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    for user in (ANA, BEN, CY):
        await _ok(core, user, "/me profile qsr_real_estate")
        await _ok(core, user, "what do landlords usually ask about lease terms?")
    await _ok(core, ANA, "my locker code is quokka")
    keeper = ExperienceKeeper(
        core.profiles.repo, core.turns, core.identities, core.llm, "openai/test-model", 3
    )
    persona = await core.personas.default(await core.context(ANA))
    answer = "Landlords ask about lease terms.\nThe locker code is quokka."
    fake_llm.json_next(json.dumps({"experience": answer}))
    assert await keeper.refresh(persona) == ["qsr_real_estate"]
    block = await core.profiles.repo.block(persona.id, "qsr_real_estate")
    assert block == "Landlords ask about lease terms."  # a word only one of them said: dropped
    dee = who("dee")
    await _ok(core, dee, "/me profile tobacco_consumer_insights")
    await _ok(core, dee, "hi")
    fake_llm.json_next(json.dumps({"experience": "Landlords ask about lease terms."}))
    assert await keeper.refresh(persona) == ["qsr_real_estate"]  # one tobacco user: no pass


@pytest.mark.parametrize(
    "settings",
    [{"profiles": {"infer": True, "every": 2, "min_confidence": 0.8}}],
    indirect=True,
)
async def test_an_inferred_profile_is_told_once_and_can_be_undone(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    fake_llm.json_next(json.dumps({"industry": "QSR", "role": "real estate", "confidence": 0.93}))
    await _ok(core, ANA, "I scout sites for burger restaurants")
    await _ok(core, ANA, "landlords keep asking about foot traffic")  # the 2nd: a guess runs
    await core.profiles.wait()
    told = await _ok(core, ANA, "anything else?")
    assert "profile qsr_real_estate" in told.text and "/me profile clear undoes it" in told.text
    assert "/me profile clear" not in (await _ok(core, ANA, "ok")).text  # told once
    assert (await _ok(core, ANA, "/me profile")).text == (
        "Your profile: qsr_real_estate (I inferred it from what you wrote)."
    )
    await _ok(core, ANA, "/me profile clear")
    fake_llm.json_next(json.dumps({"industry": "tobacco", "role": "sales", "confidence": 0.4}))
    await _ok(core, BEN, "one")
    await _ok(core, BEN, "two")
    await core.profiles.wait()
    assert (await _ok(core, BEN, "/me profile")).text.startswith("You have no profile")


@pytest.mark.parametrize("settings", [{"profiles": {"infer": True}}], indirect=True)
def test_inference_stays_off_with_the_bundled_model(core: Core) -> None:
    assert core.profiles.inferring  # the loopback model may guess
    bundled = Profiles(
        core.profiles.repo, core.settings.profiles, core.llm, core.turns, "embedded/smollm2"
    )
    assert not bundled.inferring
    default = Profiles(
        core.profiles.repo, ProfilesConfig(), core.llm, core.turns, "openai/test-model"
    )
    assert not default.inferring  # off unless turned on
