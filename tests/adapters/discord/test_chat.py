"""Chat on Discord: when the bot answers, who it answers as, and how replies are delivered."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select

from bot.messages import Who
from storage.models import Turn
from tests.adapters.discord.conftest import ALICE, BOB, Harness
from tests.support import discord_gateway as gw
from tests.support.fake_discord import BOT_USER, Call

MENTION = f"<@{BOT_USER['id']}>"


def sent(calls: list[Call]) -> list[Call]:
    """Messages posted (as the bot or through a webhook), in order."""
    return [
        c
        for c in calls
        if c.method == "POST" and (c.path.endswith("/messages") or c.path.startswith("webhooks/"))
    ]


def texts(calls: list[Call]) -> list[str]:
    """What the bot finally shows: each posted message after its last edit."""
    out: dict[str, str] = {}
    for c in calls:
        if c.method == "POST" and c.response and "content" in c.response:
            out[c.response["id"]] = c.content
        elif c.method == "PATCH" and c.path.split("/")[-1] in out:
            out[c.path.split("/")[-1]] = c.content
    return list(out.values())


async def _turns(dc: Harness) -> list[tuple[int, int, str, str]]:
    async with dc.core.db.sessions() as s:
        rows = await s.execute(select(Turn.user_id, Turn.space_id, Turn.role, Turn.content))
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_a_mention_is_a_turn_of_that_user_in_that_server(dc: Harness) -> None:
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} hello there", mentions=(BOT_USER,))
    calls = dc.api.calls[before:]
    assert any(c.path == f"channels/{gw.CHANNEL_ID}/typing" for c in calls)
    posts = sent(calls)
    assert posts[0].path.startswith("webhooks/")  # as the persona, not as the bot
    assert posts[0].body["username"] == "Assistant"
    assert texts(calls) == ["echo: hello there"]
    ctx = await dc.core.context(Who("discord", ALICE["id"], "Alice", str(gw.GUILD_ID), "group"))
    turns = await _turns(dc)
    assert turns == [
        (ctx.user_id, ctx.space_id, "user", "hello there"),
        (ctx.user_id, ctx.space_id, "assistant", "echo: hello there"),
    ]


async def test_plain_server_messages_and_bots_are_ignored(dc: Harness) -> None:
    assert await dc.message(ALICE, "just talking to friends") == 0
    webhook_echo = gw.bot_message("I am a persona", webhook=True)
    dc.dispatch("MESSAGE_CREATE", webhook_echo)
    await dc.settle()
    other_bot = {**BOB, "bot": True}
    assert await dc.message(other_bot, f"{MENTION} hi", mentions=(BOT_USER,)) == 0
    assert await _turns(dc) == []


async def test_dms_are_always_answered_as_the_bot_with_the_name(dc: Harness) -> None:
    dm = 555000000000000001
    before = len(dc.api.calls)
    await dc.message(ALICE, "hi in private", channel=None, dm_channel=dm)
    calls = dc.api.calls[before:]
    assert [c.path for c in sent(calls)] == [f"channels/{dm}/messages"]  # no webhooks in DMs
    assert texts(calls) == ["**Assistant**\necho: hi in private"]
    (user_turn, _) = await _turns(dc)
    ctx = await dc.core.context(Who("discord", ALICE["id"], "Alice", f"dm:{ALICE['id']}", "dm"))
    assert user_turn[:2] == (ctx.user_id, ctx.space_id)


async def test_replies_to_the_bot_or_its_personas_are_turns(dc: Harness) -> None:
    assert await dc.message(ALICE, "and you?", reply_to=gw.bot_message("hello")) > 0
    assert await dc.message(BOB, "tell me more", reply_to=gw.bot_message("hi", webhook=True)) > 0
    someone = gw.message_create(BOB, "a human said this")
    assert await dc.message(ALICE, "agreed", reply_to=someone) == 0
    assert [t[3] for t in await _turns(dc) if t[2] == "user"] == ["and you?", "tell me more"]


async def test_threads_it_started_are_chat_others_are_not(dc: Harness) -> None:
    assert await dc.message(ALICE, "in my thread", channel=gw.THREAD_ID) > 0
    assert await dc.message(ALICE, "in theirs", channel=gw.OTHER_THREAD_ID) == 0
    posts = sent(dc.api.calls)
    assert posts[-1].query.get("thread_id") == str(gw.THREAD_ID)  # webhook posts into the thread


async def test_chat_channels_answer_every_message(dc: Harness) -> None:
    assert await dc.message(ALICE, "anyone?") == 0
    await dc.slash(ALICE, ("channel", "chat"), mode="on", admin=True)
    assert await dc.message(ALICE, "anyone now?") > 0
    assert await dc.message(BOB, "in a thread of it", channel=gw.OTHER_THREAD_ID) > 0
    await dc.slash(ALICE, ("channel", "chat"), mode="off", admin=True)
    assert await dc.message(ALICE, "still there?") == 0


async def test_without_manage_webhooks_it_posts_as_the_bot_with_the_name(dc: Harness) -> None:
    dc.api.no_webhooks.add(gw.QUIET_ID)
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} psst", channel=gw.QUIET_ID, mentions=(BOT_USER,))
    calls = dc.api.calls[before:]
    assert [c.path for c in sent(calls)] == [f"channels/{gw.QUIET_ID}/messages"]
    assert texts(calls) == ["**Assistant**\necho: psst"]
    posted = sent(calls)[0].body
    assert posted["message_reference"]["message_id"]  # answers as a reply to the user


async def test_one_webhook_per_channel_is_reused(dc: Harness) -> None:
    for word in ("one", "two", "three"):
        await dc.message(ALICE, f"{MENTION} {word}", mentions=(BOT_USER,))
    assert len(dc.api.find("POST", rf"channels/{gw.CHANNEL_ID}/webhooks$")) == 1
    assert len(dc.api.webhooks[gw.CHANNEL_ID]) == 1


async def test_long_replies_are_split_under_2000_characters(dc: Harness) -> None:
    sentence = "The quick brown fox jumps over the lazy dog. "
    text = (sentence * 20 + "\n\n") * 4  # ~3,700 characters, paragraphs of ~900
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} {text}", mentions=(BOT_USER,))
    shown = texts(dc.api.calls[before:])
    assert len(shown) == 2
    assert all(len(piece) <= 2000 for piece in shown)
    assert all(piece.rstrip().endswith(".") for piece in shown)  # cut at sentence ends
    assert " ".join(" ".join(shown).split()) == " ".join(f"echo: {text.strip()}".split())


async def test_personas_can_not_ping_everyone(dc: Harness) -> None:
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} @everyone look", mentions=(BOT_USER,))
    for call in sent(dc.api.calls[before:]):
        assert call.body["allowed_mentions"] == {"parse": []}


async def test_typed_commands_answer_privately_by_dm(dc: Harness) -> None:
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} /memory list", mentions=(BOT_USER,))
    calls = dc.api.calls[before:]
    assert any(c.path == "users/@me/channels" for c in calls)  # opened a DM with Alice
    shown = texts(calls)
    assert any("remember" in t.lower() or "memor" in t.lower() for t in shown[:-1])
    assert shown[-1] == "I sent you the answer in a DM."
    public = await _send_switch(dc)
    assert public.startswith("**Code Expert**")


async def _send_switch(dc: Harness) -> str:
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} /persona switch coder", mentions=(BOT_USER,))
    return texts(dc.api.calls[before:])[-1]


async def test_streaming_edits_one_message_at_most_once_a_second(dc: Harness) -> None:
    from adapters.discord.stream import Stream
    from bot.messages import Look, Reply

    channel: Any = dc.adapter.client.get_channel(gw.CHANNEL_ID)
    stream = Stream(dc.adapter.sender, channel, Look("luna", "Luna"), interval=1.0)
    import asyncio

    words = [f"word{i} " for i in range(30)]
    for w in words:
        await stream.push(w)
        await asyncio.sleep(0.08)  # a model streaming for ~2.4 s
    before = len(dc.api.calls)
    posted = await stream.finish(Reply("".join(words).strip(), persona=Look("luna", "Luna")))
    assert len(posted) == 1
    hook = [c for c in dc.api.calls if c.path.startswith("webhooks/")]
    first, edits = hook[0], [c for c in hook if c.method == "PATCH"]
    assert first.method == "POST" and len(edits) >= 2  # progress was shown while streaming
    times = [first.at] + [e.at for e in edits]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))  # never more than 1/s
    assert edits[-1].content == "".join(words).strip()
    assert len(dc.api.calls) - before <= 1  # finishing costs at most the last edit


async def test_with_threads_on_a_mention_starts_a_thread_to_chat_in(
    core: Any, discord_api: Any
) -> None:
    from adapters.discord import DiscordAdapter

    config = core.settings.adapters.discord.model_copy(update={"threads": True})
    adapter = DiscordAdapter(core, "fake-token", config)
    await adapter.login()
    dc = Harness(adapter, discord_api)
    dc.dispatch("GUILD_CREATE", gw.guild_create())
    await dc.settle()
    await dc.message(ALICE, f"{MENTION} plan my trip to Lisbon", mentions=(BOT_USER,))
    (started,) = discord_api.find("POST", r"channels/\d+/messages/\d+/threads$")
    assert started.body["name"] == "Assistant · plan my trip to Lisbon"
    thread = started.response
    assert sent(discord_api.calls)[-1].query.get("thread_id") == thread["id"]
    dc.dispatch("THREAD_CREATE", {**thread, "newly_created": True})  # as the gateway tells us
    assert await dc.message(ALICE, "three days, please", channel=int(thread["id"])) > 0
    assert len(discord_api.find("POST", r"/threads$")) == 1  # no thread inside a thread
    await adapter.client.close()


async def test_spoken_replies_are_attached_as_files(dc: Harness) -> None:
    await dc.slash(ALICE, ("voice", "on"))
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} say something", mentions=(BOT_USER,))
    files = [c.files for c in sent(dc.api.calls[before:]) if c.files]
    assert files == [["reply.ogg"]]
    assert texts(dc.api.calls[before:])[0] == "echo: say something"


async def test_an_audio_attachment_is_transcribed_into_a_turn(dc: Harness, fake_llm: Any) -> None:
    fake_llm.server.transcript = "is it going to rain"
    clip = dc.api.attachment("voice-message.ogg", b"OggS\x00\x02" + b"\x00" * 300, "audio/ogg")
    before = len(dc.api.calls)
    await dc.message(ALICE, "", channel=None, dm_channel=555000000000000002, attachments=[clip])
    assert texts(dc.api.calls[before:]) == ["**Assistant**\necho: is it going to rain"]
    (upload,) = fake_llm.server.uploads
    assert b"OggS" in upload["body"]


async def test_a_retiring_persona_says_goodbye_by_dm(dc: Harness) -> None:
    await dc.slash(ALICE, ("persona", "create"), name="luna", prompt="You are Luna.")
    await dc.message(ALICE, f"{MENTION} good night", mentions=(BOT_USER,))
    await dc.core.handle_text(
        Who("discord", ALICE["id"], "Alice", str(gw.GUILD_ID), "group"),
        '/persona retire luna farewell="Sleep well."',
    )
    before = len(dc.api.calls)
    assert (await dc.core.jobs.fire("retirement")).detail == "retired: luna"
    calls = dc.api.calls[before:]
    assert any(c.path == "users/@me/channels" for c in calls)  # opened a DM with Alice
    assert [c.content for c in sent(calls)] == ["Luna: Sleep well."]


def _controls(call: Call) -> dict[str, str]:
    """Label → custom id of the buttons a message payload carries."""
    return {
        b["label"]: b["custom_id"]
        for row in (call.body or {}).get("components", [])
        for b in row["components"]
    }


async def test_reply_buttons_regenerate_and_swipe_for_its_user_only(
    dc: Harness, fake_llm: Any
) -> None:
    fake_llm.server.numbered = True
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} tell me a joke", mentions=(BOT_USER,))
    calls = dc.api.calls[before:]
    assert texts(calls) == ["echo 1: tell me a joke"]
    final = [c for c in calls if c.method == "PATCH" and c.path.startswith("webhooks/")][-1]
    buttons = _controls(final)
    assert list(buttons) == ["🔄"] and buttons["🔄"].endswith(f":{ALICE['id']}:r")
    on = gw.bot_message("echo 1: tell me a joke", webhook=True)
    on["components"] = final.body["components"]

    def press(label: str) -> dict[str, Any]:
        return {"custom_id": buttons[label], "component_type": 2}

    regen = await dc.interact(ALICE, 3, press("🔄"), message=on)
    deferred = [c for c in regen if c.path.startswith("interactions/")]
    assert [c.body["type"] for c in deferred] == [6]  # acknowledged before the model runs
    (shown,) = [c for c in regen if c.path.endswith("/messages/@original")]
    assert shown.content == "echo 2: tell me a joke"
    buttons = _controls(shown)
    assert list(buttons) == ["◀", "2/2", "▶", "🔄"]
    on["components"] = shown.body["components"]

    refused = await dc.interact(BOB, 3, press("◀"), message=on)
    (answer,) = [c.body for c in refused if c.path.startswith("interactions/")]
    assert answer["type"] == 4 and answer["data"]["flags"] & 64
    assert answer["data"]["content"] == (
        "Only the person this reply answered can use these buttons."
    )

    back = await dc.interact(ALICE, 3, press("◀"), message=on)
    (update,) = [c.body for c in back if c.path.startswith("interactions/")]
    assert update["type"] == 7 and update["data"]["content"] == "echo 1: tell me a joke"

    await dc.message(ALICE, f"{MENTION} another", mentions=(BOT_USER,))
    history = [m["content"] for m in fake_llm.chat_requests[-1]["messages"]]
    assert "echo 1: tell me a joke" in history and "echo 2: tell me a joke" not in history
    stale = await dc.interact(ALICE, 3, press("▶"), message=on)
    (answer,) = [c.body for c in stale if c.path.startswith("interactions/")]
    assert answer["data"]["flags"] & 64 and "only the latest reply" in answer["data"]["content"]


async def test_stop_button_ends_a_reply_mid_stream_and_keeps_it(
    dc: Harness, fake_llm: Any
) -> None:
    await dc.message(ALICE, f"{MENTION} hello", mentions=(BOT_USER,))  # the model is warm
    llm = dc.core.llm  # the test settings' 2 s limit would end the reply before the press
    llm.cfg = llm.cfg.model_copy(update={"timeout_s": 30})
    fake_llm.server.slow_s = 0.1  # six seconds of streaming, left alone
    fake_llm.fail_next("slow")
    long = " ".join(f"word{i}" for i in range(60))
    dc.dispatch(
        "MESSAGE_CREATE", gw.message_create(ALICE, f"{MENTION} {long}", mentions=(BOT_USER,))
    )
    posted = (await dc.api.wait_for("POST", r"^webhooks/", 2))[1]
    stop = _controls(posted)
    assert list(stop) == ["⏹ Stop"]
    edits = len(dc.api.find("PATCH", r"^webhooks/\d+/[^/]+/messages/\d+"))
    await dc.api.wait_for("PATCH", r"^webhooks/\d+/[^/]+/messages/\d+", edits + 1)  # words
    on = gw.bot_message(posted.content, webhook=True)
    on["components"] = posted.body["components"]
    press = {"custom_id": stop["⏹ Stop"], "component_type": 2}
    # Pressed while the reply is still being written (the harness would wait for it to end).
    dc.dispatch("INTERACTION_CREATE", gw.interaction(BOB, 3, press, message=on))
    dc.dispatch("INTERACTION_CREATE", gw.interaction(ALICE, 3, press, message=on))
    refused, ack = [c.body for c in await dc.api.wait_for("POST", r"^interactions/", 2)]
    assert refused["data"]["content"] == "Only the person this reply is for can stop it."
    assert ack["type"] == 6  # acknowledged; the reply's own last edit shows the stop
    await dc.settle()
    final = dc.api.find("PATCH", r"^webhooks/\d+/[^/]+/messages/\d+")[-1]
    assert "(stopped — what was written so far is kept)" in final.content
    assert "word0" in final.content and "word59" not in final.content
    assert "⏹ Stop" not in _controls(final)
    async with dc.core.db.sessions() as s:
        rows = (await s.execute(select(Turn.status).where(Turn.role == "assistant"))).all()
    assert [r[0] for r in rows] == ["done", "cut"]


async def test_an_edited_last_message_is_answered_again_and_the_history_follows(
    dc: Harness, fake_llm: Any
) -> None:
    older = gw.message_create(ALICE, f"{MENTION} my cat is called Tom", mentions=(BOT_USER,))
    dc.dispatch("MESSAGE_CREATE", older)
    await dc.settle()
    latest = gw.message_create(ALICE, f"{MENTION} my dog is called Rex", mentions=(BOT_USER,))
    dc.dispatch("MESSAGE_CREATE", latest)
    await dc.settle()
    before = len(dc.api.calls)
    dc.dispatch(
        "MESSAGE_UPDATE",
        {
            **latest,
            "content": f"{MENTION} my dog is called Max",
            "edited_timestamp": latest["timestamp"],
        },
    )
    await dc.settle()
    (answer,) = sent(dc.api.calls[before:])
    assert answer.content == "echo: my dog is called Max"
    assert list(_controls(answer)) == ["◀", "2/2", "▶", "🔄"]
    before = len(dc.api.calls)
    dc.dispatch("MESSAGE_UPDATE", {**older, "content": f"{MENTION} my cat is Tim"})
    await dc.settle()
    assert not sent(dc.api.calls[before:])  # an older message: nothing is answered again
    await dc.message(ALICE, f"{MENTION} what are my pets called?", mentions=(BOT_USER,))
    prompt = "\n".join(str(m["content"]) for m in fake_llm.chat_requests[-1]["messages"])
    assert "my dog is called Max" in prompt and "Rex" not in prompt
    assert "my cat is called Tom" in prompt and "Tim" not in prompt


async def test_a_cross_mark_from_its_user_deletes_a_reply_from_the_channel_and_history(
    dc: Harness, fake_llm: Any
) -> None:
    before = len(dc.api.calls)
    await dc.message(ALICE, f"{MENTION} my locker code is 4417", mentions=(BOT_USER,))
    (posted,) = sent(dc.api.calls[before:])
    reply_id = posted.response["id"]

    def cross(author: dict[str, Any]) -> None:
        dc.dispatch(
            "MESSAGE_REACTION_ADD",
            {
                "user_id": author["id"],
                "channel_id": str(gw.CHANNEL_ID),
                "message_id": reply_id,
                "guild_id": str(gw.GUILD_ID),
                "emoji": {"id": None, "name": "❌"},
                "type": 0,
                "burst": False,
            },
        )

    cross(BOB)  # not the user it answered: nothing happens
    await dc.settle()
    assert not dc.api.find("DELETE", reply_id)
    cross(ALICE)
    await dc.settle()
    assert dc.api.find("DELETE", rf"^webhooks/\d+/[^/]+/messages/{reply_id}$")
    await dc.message(ALICE, f"{MENTION} what is my code?", mentions=(BOT_USER,))
    history = [m["content"] for m in fake_llm.chat_requests[-1]["messages"]]
    assert "echo: my locker code is 4417" not in history
    assert "my locker code is 4417" in history  # the user's own message stays
