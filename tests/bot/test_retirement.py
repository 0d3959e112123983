"""Retirement end to end through the console adapter, with the job's clock injected."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta

from adapters.collecting import CollectingAdapter
from adapters.console import ConsoleAdapter
from bot.core import Core
from bot.jobs.runner import JobRunner
from storage.models import utcnow


class Console:
    """One console user; returns what each line printed."""

    def __init__(self, core: Core, name: str) -> None:
        self.out = io.StringIO()
        self.adapter = ConsoleAdapter(
            core, name, stdin=io.StringIO(), stdout=self.out, interactive=False
        )

    async def say(self, line: str) -> str:
        start = len(self.out.getvalue())
        await self.adapter.handle(line)
        return self.out.getvalue()[start:].rstrip("\n")


async def test_retirement_end_to_end(core: Core) -> None:
    alice, bob = Console(core, "alice"), Console(core, "bob")
    await alice.say('/persona create luna prompt="You are Luna." public=yes')
    await alice.say("I love the night sky")
    await bob.say("/persona switch luna")
    await bob.say("tell me about Jupiter")
    planned = await alice.say('/persona retire luna farewell="Goodbye, stargazer."')
    assert planned == (
        "Luna will retire at the next retirement run (within minutes). "
        "/persona unretire luna cancels it."
    )
    outcome = await core.jobs.fire("retirement")
    assert outcome.status == "ok" and outcome.detail == "retired: luna"
    [archive] = (core.settings.data_dir / "archives").glob("luna-*.json")
    data = json.loads(archive.read_text(encoding="utf-8"))
    assert data["farewell"] == "Goodbye, stargazer."
    texts = {u: [m["text"] for m in items] for u, items in data["users"].items()}
    assert "I love the night sky" in texts["console:alice"]
    assert "tell me about Jupiter" in texts["console:bob"]
    first = await alice.say("are you still there?")
    assert first == (
        "Luna: Goodbye, stargazer.\n\n(Luna has retired. You're now talking to Assistant — "
        "send your message again.)"
    )
    assert await alice.say("are you still there?") == "Assistant: echo: are you still there?"
    assert await alice.say("/persona switch luna") == (
        "! 'luna' has retired and can't be used any more"
    )
    assert (await bob.say("hello?")).startswith("Luna: Goodbye, stargazer.")
    assert (await bob.say("hello?")).startswith("Assistant: ")
    again = await core.jobs.fire("retirement", slot="again")
    assert again.detail == "retired: none due"


async def test_inactive_personas_retire_after_their_quiet_days(
    core: Core, user: Callable[..., CollectingAdapter]
) -> None:
    alice = user("alice")
    await alice.say('/persona create nova prompt="You are Nova."')
    await alice.say("hi nova")
    reply = await alice.say("/persona retire nova after=3")
    assert "will retire after 3 days without a message" in reply.text
    soon = JobRunner(core, clock=lambda: utcnow() + timedelta(days=2))
    assert (await soon.fire("retirement")).detail == "retired: none due"
    later = JobRunner(core, clock=lambda: utcnow() + timedelta(days=4))
    assert (await later.fire("retirement")).detail == "retired: nova"


async def test_who_may_retire_and_unretire(
    core: Core, user: Callable[..., CollectingAdapter]
) -> None:
    alice, bob, root = user("alice"), user("bob"), user("root")
    await alice.say('/persona create luna prompt="You are Luna." public=yes')
    refused = await bob.say("/persona retire luna")
    assert refused.error and refused.text == "only the owner of 'luna' can retire it"
    preset = await alice.say("/persona retire coder on=2026-01-01")
    only_bot_admins = "only bot admins (admins.console in config.yaml) can retire presets"
    assert preset.error and only_bot_admins in preset.text
    assert (
        "will retire on 2027-01-01" in (await root.say("/persona retire coder on=2027-01-01")).text
    )
    bad = await alice.say("/persona retire luna on=soonish")
    assert bad.error and "on= wants a date like 2026-12-24" in bad.text
    await alice.say("/persona retire luna")
    assert (await alice.say("/persona unretire luna")).text == "Luna is not retiring."
    assert (await core.jobs.fire("retirement")).detail == "retired: none due"
    assert "retiring on 2027-01-01" in (await root.say("/persona show coder")).text


async def test_unretire_says_what_it_did(core: Core) -> None:
    alice = Console(core, "alice")
    await alice.say('/persona create luna prompt="You are Luna."')
    assert await alice.say("/persona unretire luna") == (
        "Luna had no retirement plan; nothing changed."
    )
    await alice.say("/persona retire luna")
    await core.jobs.fire("retirement")
    assert await alice.say("/persona unretire luna") == (
        "Luna is back: /persona switch luna to talk to it again."
    )
    assert await alice.say("/persona switch luna") == "Luna: You are now talking to Luna."
