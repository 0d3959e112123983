"""Start-up, command sync, intents, the error edge, slow commands and files."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from adapters.discord import DiscordAdapter
from adapters.discord.client import intents
from adapters.discord.stream import Stream
from adapters.discord.sync import publish
from bot.app import platform_adapters
from bot.commands.spec import CommandSpec, Param
from bot.core import Core
from bot.errors import ConfigError
from bot.messages import Attachment, Look, Reply
from tests.adapters.discord.conftest import ALICE, Harness
from tests.adapters.discord.test_tree import TOPS
from tests.support import discord_gateway as gw
from tests.support.fake_discord import FakeDiscord


def _names(commands: list[dict[str, Any]]) -> set[str]:
    return {c["name"] for c in commands}


async def test_joining_a_server_registers_the_commands_there(dc: Harness) -> None:
    assert _names(dc.api.guild_commands[gw.GUILD_ID]) == TOPS


async def test_no_per_server_copy_when_published_globally(
    core: Core, discord_api: FakeDiscord
) -> None:
    discord_api.global_commands = [{"name": "help", "description": "d", "type": 1}]
    adapter = DiscordAdapter(core, "fake-token")
    await adapter.login()
    adapter.client._connection.parsers["GUILD_CREATE"](gw.guild_create())
    await Harness(adapter, discord_api).settle()
    assert discord_api.find("GET", r"applications/\d+/commands$")
    assert discord_api.guild_commands == {}
    await adapter.client.close()


async def test_discord_sync_publishes_globally_and_drops_server_copies(
    core: Core, discord_api: FakeDiscord
) -> None:
    discord_api.guild_commands[gw.GUILD_ID] = [{"name": "old", "description": "d", "type": 1}]
    count = await publish("fake-token", core.settings.adapters.discord, None)
    assert count == len(TOPS) and "persona" in _names(discord_api.global_commands)
    assert discord_api.guild_commands[gw.GUILD_ID] == []


async def test_discord_sync_to_one_server(core: Core, discord_api: FakeDiscord) -> None:
    await publish("fake-token", core.settings.adapters.discord, gw.GUILD_ID)
    assert "memory" in _names(discord_api.guild_commands[gw.GUILD_ID])
    assert discord_api.global_commands == []


async def test_a_missing_message_content_intent_is_named(
    core: Core, discord_api: FakeDiscord
) -> None:
    discord_api.app_flags = 0
    adapter = DiscordAdapter(core, "fake-token")
    with pytest.raises(ConfigError, match="MESSAGE CONTENT INTENT"):
        await adapter.login()
    await adapter.client.close()
    quiet = core.settings.adapters.discord.model_copy(update={"message_content": False})
    adapter = DiscordAdapter(core, "fake-token", quiet)
    await adapter.login()  # mentions and DMs still carry content without the intent
    assert adapter.client.intents.message_content is False
    await adapter.client.close()


def test_intents_are_only_what_the_bot_uses(core: Core) -> None:
    wanted = intents(core.settings.adapters.discord)
    assert wanted.guilds and wanted.guild_messages and wanted.dm_messages
    assert wanted.message_content
    assert not (wanted.members or wanted.presences or wanted.typing or wanted.voice_states)


def test_token_and_enabled_flag_decide_whether_discord_starts(core: Core) -> None:
    assert platform_adapters(core, core.settings, {}) == []
    started = platform_adapters(core, core.settings, {"DISCORD_TOKEN": "abc.def"})
    assert [a.name for a in started] == ["discord"]
    both = {"DISCORD_TOKEN": "abc.def", "TELEGRAM_TOKEN": "123:abc"}
    assert [a.name for a in platform_adapters(core, core.settings, both)] == [
        "discord",
        "telegram",
    ]
    off = core.settings.model_copy(
        update={
            "adapters": core.settings.adapters.model_copy(
                update={
                    "discord": core.settings.adapters.discord.model_copy(update={"enabled": False})
                }
            )
        }
    )
    assert platform_adapters(core, off, {"DISCORD_TOKEN": "abc.def"}) == []
    forced = off.model_copy(
        update={
            "adapters": off.adapters.model_copy(
                update={"discord": off.adapters.discord.model_copy(update={"enabled": True})}
            )
        }
    )
    with pytest.raises(ConfigError, match="DISCORD_TOKEN is not set"):
        platform_adapters(core, forced, {})


async def _boom(s: Any, ctx: Any, x: str | None) -> Reply:
    raise RuntimeError("secret internals")


async def _slow(s: Any, ctx: Any) -> Reply:
    await asyncio.sleep(2.8)  # well past the 2 s after which the adapter defers
    return Reply("done slowly", ephemeral=False)


async def test_unexpected_failures_are_logged_and_answered_briefly(
    core: Core, discord_api: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    core.commands[("boom",)] = CommandSpec(("boom",), "fails", (Param("x", "any"),), _boom)
    adapter = DiscordAdapter(core, "fake-token")
    await adapter.login()
    harness = Harness(adapter, discord_api)
    with caplog.at_level(logging.ERROR):
        calls = await harness.slash(ALICE, ("boom",), x="1")
    body = next(c.body for c in calls if c.path.startswith("interactions/"))
    assert body["data"]["content"] == "⚠️ Something went wrong; it has been logged."
    assert body["data"]["flags"] & 64
    assert "secret internals" not in body["data"]["content"]
    assert any("RuntimeError: secret internals" in r.getMessage() for r in caplog.records)
    await adapter.client.close()


async def test_slow_commands_are_deferred_then_answered(
    core: Core, discord_api: FakeDiscord
) -> None:
    core.commands[("slow",)] = CommandSpec(("slow",), "takes a while", (), _slow)
    adapter = DiscordAdapter(core, "fake-token")
    await adapter.login()
    calls = await Harness(adapter, discord_api).slash(ALICE, ("slow",))
    callback = next(c for c in calls if c.path.startswith("interactions/"))
    assert callback.body["type"] == 5  # DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE, "thinking…"
    followup = next(c for c in calls if c.path.startswith(f"webhooks/{gw.APP_ID}/"))
    assert followup.content == "done slowly"
    await adapter.client.close()


async def test_files_in_replies_are_attached(dc: Harness) -> None:
    calls = await dc.slash(ALICE, ("memory", "export"))
    callback = next(c for c in calls if c.path.startswith("interactions/"))
    assert len(callback.files) == 1 and callback.files[0].endswith(".json")
    channel: Any = dc.adapter.client.get_channel(gw.CHANNEL_ID)
    voice = Attachment("reply.ogg", "audio/ogg", data=b"OggS\x00fake")
    stream = Stream(dc.adapter.sender, channel, Look("luna", "Luna"), interval=1.0)
    before = len(dc.api.calls)
    await stream.finish(Reply("Hello!", persona=Look("luna", "Luna"), attachments=(voice,)))
    posted = [
        c for c in dc.api.calls[before:] if c.method == "POST" and c.path.startswith("webhooks/")
    ]
    assert [c.files for c in posted] == [["reply.ogg"]]
    assert posted[0].content == "Hello!"
