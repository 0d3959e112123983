"""Several workers share a bot on Discord by shards: adapters.discord.shard_count and the
shard_ids this worker runs give discord.py's sharded client, which answers like the plain one."""

from __future__ import annotations

import discord
import pytest

from adapters.discord import DiscordAdapter
from bot.config import ConfigError, load_settings
from bot.core import Core
from tests.adapters.discord.conftest import ALICE, Harness
from tests.adapters.discord.test_slash import MENTION
from tests.support import discord_gateway as gw
from tests.support.fake_discord import BOT_USER, FakeDiscord


async def test_a_worker_runs_its_shards_and_answers(core: Core, discord_api: FakeDiscord) -> None:
    config = core.settings.adapters.discord.model_copy(
        update={"shard_count": 4, "shard_ids": [1, 3]}
    )
    adapter = DiscordAdapter(core, "fake-token", config)
    assert isinstance(adapter.client, discord.AutoShardedClient)
    assert adapter.client.shard_count == 4 and adapter.client.shard_ids == [1, 3]
    await adapter.login()
    dc = Harness(adapter, discord_api)
    dc.dispatch("GUILD_CREATE", gw.guild_create())
    await dc.settle()
    assert await dc.message(ALICE, f"{MENTION} hello from a shard", mentions=(BOT_USER,)) > 0
    posted = [
        c
        for c in discord_api.calls
        if c.method in ("POST", "PATCH") and "hello from a shard" in str(c.body)
    ]
    assert posted
    await adapter.client.close()


def test_unsharded_by_default_and_bad_shard_ids_stop_start_up(core: Core) -> None:
    adapter = DiscordAdapter(core, "fake-token")
    assert not isinstance(adapter.client, discord.AutoShardedClient)
    for bad, message in (
        ({"shard_ids": [0]}, "shard_ids needs shard_count"),
        ({"shard_count": 2, "shard_ids": [2]}, "shard ids [2] are not below shard_count 2"),
    ):
        env = {f"PERSONABOT__ADAPTERS__DISCORD__{k.upper()}": str(v) for k, v in bad.items()}
        with pytest.raises(ConfigError) as err:
            load_settings(None, env)
        assert "adapters.discord" in err.value.message and message in err.value.message
