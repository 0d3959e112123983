"""The Telegram adapter end to end: the real Application polling a loopback Bot API."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from typing import Any

import pytest
from sqlalchemy import select

from adapters.telegram.send import Place, TgStream
from bot.commands.spec import CommandSpec
from bot.messages import Attachment, Look, Reply, Who
from storage.models import Turn
from tests.adapters.telegram.conftest import ALICE, BOB, GROUP, Harness
from tests.support.fake_openai import FakeOpenAI
from tests.support.fake_telegram import BOT, Call, message, press, voice_note


def sent(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendMessage"]


def shown(calls: list[Call]) -> list[str]:
    """What each message the bot sent finally says (streamed replies are edited)."""
    out: dict[str, str] = {}
    for c in calls:
        if c.method == "sendMessage":
            out[str(c.result["message_id"])] = c.text
        elif c.method == "editMessageText" and str(c.params.get("message_id")) in out:
            out[str(c.params["message_id"])] = c.text
    return list(out.values())


def buttons(call: Call) -> list[dict[str, Any]]:
    return [b for row in call.json("reply_markup")["inline_keyboard"] for b in row]


def bot_msg(call: Call) -> dict[str, Any]:
    """The message a sendMessage call created, as a later update carries it."""
    return {**call.result, "chat": call.result["chat"], "from": BOT}


def alice() -> Who:
    return Who("telegram", str(ALICE["id"]), "Alice", str(ALICE["id"]), "dm")


async def test_the_command_menu_is_registered(tg: Harness) -> None:
    (call,) = tg.api.find("setMyCommands")
    menu = {c["command"]: c["description"] for c in call.json("commands")}
    assert {"persona_switch", "persona_new", "memory_list", "help", "cancel"} <= set(menu)
    assert menu["persona_switch"] == "Talk to another persona here"
    assert all(1 <= len(d) <= 256 for d in menu.values())
    assert len(menu) <= 100 and "jobs_run" not in menu  # bot admins type their own


async def test_a_dm_is_a_turn_of_that_user_and_the_reply_is_headed(tg: Harness) -> None:
    calls = await tg.send(message(ALICE, "hello there"))
    assert any(c.method == "sendChatAction" and c.params["action"] == "typing" for c in calls)
    assert shown(calls) == ["<b>Assistant</b>\necho: hello there"]
    (reply,) = sent(calls)
    assert reply.params["parse_mode"] == "HTML" and reply.params["chat_id"] == str(ALICE["id"])
    ctx = await tg.core.context(alice())
    async with tg.core.db.sessions() as s:
        rows = (await s.execute(select(Turn.user_id, Turn.space_id, Turn.content))).all()
    assert [tuple(r) for r in rows] == [
        (ctx.user_id, ctx.space_id, "hello there"),
        (ctx.user_id, ctx.space_id, "echo: hello there"),
    ]


async def test_markdown_specials_and_html_are_delivered_escaped(tg: Harness) -> None:
    text = "2*3 = 6, snake_case_name, [link](x) and <b>not bold</b> & more"
    (reply,) = shown(await tg.send(message(ALICE, text)))
    assert reply == (
        "<b>Assistant</b>\necho: 2*3 = 6, snake_case_name, [link](x) and "
        "&lt;b&gt;not bold&lt;/b&gt; &amp; more"
    )


async def test_long_replies_are_split_at_4096(tg: Harness) -> None:
    text = "Tom & Jerry <3 cheese. " * 170  # ~3,900 characters, ~5,600 once escaped
    final = shown(await tg.send(message(ALICE, text)))
    assert len(final) == 2 and all(len(t) <= 4096 for t in final)
    assert final[0].startswith("<b>Assistant</b>\necho: Tom &amp; Jerry &lt;3 cheese.")
    joined = " ".join(final).replace("<b>Assistant</b>\n", "")
    assert joined.count("Tom &amp; Jerry") == 170


async def test_bare_switch_offers_buttons_and_a_press_switches(tg: Harness) -> None:
    (offer,) = sent(await tg.send(message(ALICE, "/persona switch")))
    labels = {b["text"]: b["callback_data"] for b in buttons(offer)}
    assert "Code Expert (coder)" in labels
    calls = await tg.send(press(ALICE, labels["Code Expert (coder)"], bot_msg(offer)))
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert edit.text.startswith("<b>Code Expert</b>")
    assert (await tg.core.active_look(alice())).name == "coder"


async def test_long_persona_lists_are_paged(tg: Harness) -> None:
    for i in range(9):
        await tg.core.handle_text(alice(), f'/persona create p{i} prompt="P{i}."')
    (offer,) = sent(await tg.send(message(ALICE, "/persona_switch")))
    first = buttons(offer)
    assert len(first) == 9 and first[-1]["text"] == "▶"  # 8 personas and "next"
    calls = await tg.send(press(ALICE, first[-1]["callback_data"], bot_msg(offer)))
    (page,) = [c for c in calls if c.method == "editMessageReplyMarkup"]
    second = [b["text"] for row in page.json("reply_markup")["inline_keyboard"] for b in row]
    assert "◀" in second and second[0] not in [b["text"] for b in first]


async def test_other_users_and_forged_presses_are_refused(tg: Harness) -> None:
    (offer,) = sent(await tg.send(message(ALICE, "/persona_switch")))
    data = buttons(offer)[0]["callback_data"]
    refusals = []
    for who, forged in ((BOB, data), (ALICE, "sw:0123456789ab:0"), (ALICE, "sw:x;drop:1")):
        (answer,) = [
            c
            for c in await tg.send(press(who, forged, bot_msg(offer)))
            if c.method == "answerCallbackQuery"
        ]
        refusals.append(answer.params["text"])
    assert refusals == [
        "Only the person who asked can use these buttons.",
        "These buttons have expired.",
        "This button isn't valid.",
    ]
    assert (await tg.core.active_look(alice())).name == "assistant"
    out_of_range = data.rsplit(":", 1)[0] + ":99"
    calls = await tg.send(press(ALICE, out_of_range, bot_msg(offer)))
    assert [c.params.get("text") for c in calls] == ["This button isn't valid."]


async def test_delete_asks_with_buttons_only_the_asker_can_press(tg: Harness) -> None:
    await tg.send(message(ALICE, '/persona create luna prompt="You are Luna."'))
    (question,) = sent(await tg.send(message(ALICE, "/persona delete luna")))
    yes = next(b["callback_data"] for b in buttons(question) if b["text"] == "Yes")
    bob = await tg.send(press(BOB, yes, bot_msg(question)))
    assert [c.method for c in bob] == ["answerCallbackQuery"]
    assert [lk.name for lk in await tg.core.persona_choices(alice(), "luna")] == ["luna"]
    calls = await tg.send(press(ALICE, yes, bot_msg(question)))
    (done,) = [c for c in calls if c.method == "editMessageText"]
    assert done.text == "Deleted Luna and its chats."
    assert await tg.core.persona_choices(alice(), "luna") == []


async def test_the_wizard_creates_a_persona_step_by_step(tg: Harness) -> None:
    async def say(text: str) -> str:
        return sent(await tg.send(message(ALICE, text)))[-1].text

    assert "What's its name?" in await say("/persona new")
    assert "persona name must be at least 2 characters" in await say("x")
    (templates,) = sent(await tg.send(message(ALICE, "Nova")))
    options = {b["text"]: b["callback_data"] for b in buttons(templates)}
    assert "No template" in options and len(options) > 2
    calls = await tg.send(press(ALICE, options["No template"], bot_msg(templates)))
    assert "Write its prompt" in sent(calls)[-1].text
    assert "traits" in await say("You are Nova, a starship AI.")
    assert "⚠️" in await say("openness:300")
    assert "voice id" in await say("openness:80 humor:60")
    summary = sent(await tg.send(message(ALICE, "/skip")))[-1]
    assert "Create this persona?" in summary.text and "prompt: You are Nova" in summary.text
    create = next(b["callback_data"] for b in buttons(summary) if b["text"] == "Create")
    calls = await tg.send(press(ALICE, create, bot_msg(summary)))
    (done,) = [c for c in calls if c.method == "editMessageText"]
    assert done.text.startswith("Created Nova (nova)")
    assert (await tg.core.active_look(alice())).name == "nova"
    (reply,) = shown(await tg.send(message(ALICE, "hi Nova")))  # the wizard is over: chat
    assert reply.startswith("<b>Nova</b>")


async def test_cancel_stops_the_wizard_at_any_step(tg: Harness) -> None:
    await tg.send(message(ALICE, "/persona_new"))
    await tg.send(message(ALICE, "Luna"))
    (bye,) = sent(await tg.send(message(ALICE, "/cancel")))
    assert bye.text == "Cancelled — nothing was created."
    assert await tg.core.persona_choices(alice(), "luna") == []
    assert shown(await tg.send(message(ALICE, "Luna"))) == ["<b>Assistant</b>\necho: Luna"]


async def test_in_groups_only_mentions_and_replies_are_turns(tg: Harness) -> None:
    assert sent(await tg.send(message(ALICE, "hi all", chat_id=GROUP))) == []
    calls = await tg.send(message(ALICE, "@persona_bot hi", chat_id=GROUP, mention="@persona_bot"))
    assert shown(calls) == ["<b>Assistant</b>\necho: hi"]
    (mentioned,) = sent(calls)
    assert sent(await tg.send(message(BOB, "sure", chat_id=GROUP, reply_to=bot_msg(mentioned))))
    someone = message(ALICE, "a human said this", chat_id=GROUP)["message"]
    assert sent(await tg.send(message(BOB, "agreed", chat_id=GROUP, reply_to=someone))) == []
    assert sent(await tg.send(message(ALICE, "/help@other_bot", chat_id=GROUP))) == []


async def test_private_output_in_groups_goes_to_a_dm(tg: Harness) -> None:
    calls = sent(await tg.send(message(ALICE, "/memory list", chat_id=GROUP)))
    assert [c.params["chat_id"] for c in calls] == [str(ALICE["id"]), str(GROUP)]
    assert calls[1].text == "I sent you the answer in a private chat."


async def test_group_admins_choose_chat_channels(tg: Harness) -> None:
    (refused,) = sent(await tg.send(message(BOB, "/channel chat on", chat_id=GROUP)))
    assert "only admins of this server or group" in refused.text
    tg.api.admins.add(ALICE["id"])
    calls = sent(await tg.send(message(ALICE, "/channel_chat on", chat_id=GROUP)))
    assert calls[0].params["chat_id"] == str(ALICE["id"])  # private answer, by DM
    assert "every message" in calls[0].text
    assert calls[1].text == "I sent you the answer in a private chat."
    assert sent(await tg.send(message(BOB, "anyone?", chat_id=GROUP)))


async def test_audio_goes_out_as_a_voice_note(tg: Harness) -> None:
    place = Place(tg.adapter.app.bot, ALICE["id"], None, None)
    voice = Attachment("reply.ogg", "audio/ogg", data=b"OggS\x00\x02fake")
    await place.deliver(Reply("Hello!", persona=Look("luna", "Luna"), attachments=(voice,)))
    (note,) = tg.api.find("sendVoice")
    assert note.files == ["reply.ogg"] and note.params["chat_id"] == str(ALICE["id"])


async def test_streaming_edits_at_most_once_a_second(tg: Harness) -> None:
    place = Place(tg.adapter.app.bot, ALICE["id"], None, None)
    stream = TgStream(place, Look("luna", "Luna"), interval=1.0)
    words = [f"w{i} " for i in range(30)]
    for w in words:
        await stream.push(w)
        await asyncio.sleep(0.08)
    await stream.finish(Reply("".join(words).strip(), persona=Look("luna", "Luna")))
    first = tg.api.find("sendMessage")[-1]
    edits = tg.api.find("editMessageText")
    assert len(edits) >= 2  # progress was shown while streaming
    times = [first.at] + [e.at for e in edits]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))  # never more than 1/s
    assert edits[-1].text == "<b>Luna</b>\n" + "".join(words).strip()


async def _boom(s: Any, ctx: Any) -> Reply:
    raise RuntimeError("internal detail")


async def test_failures_are_logged_and_answered_briefly(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    tg.core.commands[("boom",)] = CommandSpec(("boom",), "fails", (), _boom)
    from bot.commands.spec import REGISTRY

    REGISTRY[("boom",)] = tg.core.commands[("boom",)]
    try:
        with caplog.at_level(logging.ERROR):
            calls = sent(await tg.send(message(ALICE, "/boom")))
    finally:
        del REGISTRY[("boom",)]
    assert [c.text for c in calls] == ["⚠️ Something went wrong; it has been logged."]
    assert any("RuntimeError: internal detail" in r.getMessage() for r in caplog.records)
    assert json.dumps([c.params for c in calls]).count("internal detail") == 0


async def test_webhook_mode_takes_updates_only_with_the_secret(
    core: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    import aiohttp

    from adapters.telegram import TelegramAdapter
    from tests.support.fake_telegram import TOKEN, FakeBotAPI

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("TELEGRAM_WEBHOOK_SECRET", "s3cret-value")
    api = await FakeBotAPI().start()
    config = core.settings.adapters.telegram.model_copy(
        update={
            "base_url": f"{api.base}/bot",
            "webhook_url": "https://bot.example.org/",
            "listen": "127.0.0.1",
            "port": port,
        }
    )
    adapter = TelegramAdapter(core, TOKEN, config)
    await adapter.start()
    try:
        (hook,) = api.find("setWebhook")
        assert hook.params["url"] == "https://bot.example.org/telegram"
        assert hook.params["secret_token"] == "s3cret-value"
        update = {"update_id": 1, **message(ALICE, "via webhook")}
        async with aiohttp.ClientSession() as http:
            url = f"http://127.0.0.1:{port}/telegram"
            async with http.post(url, json=update) as refused:
                assert refused.status == 403  # no secret header: not from Telegram
            headers = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-value"}
            async with http.post(url, json=update, headers=headers) as accepted:
                assert accepted.status == 200
        await Harness(adapter, api).settle()
        await api.wait_for("sendMessage")
        assert shown(api.calls) == ["<b>Assistant</b>\necho: via webhook"]
        async with (  # delivered again: answered once
            aiohttp.ClientSession() as http,
            http.post(url, json=update, headers=headers) as again,
        ):
            assert again.status == 200
        await Harness(adapter, api).settle()
        assert shown(api.calls) == ["<b>Assistant</b>\necho: via webhook"]
        assert api.find("getUpdates") == []
    finally:
        await adapter.stop()
        await api.stop()


async def test_the_wizard_gives_up_after_its_timeout(core: Any) -> None:
    from adapters.telegram import TelegramAdapter
    from tests.support.fake_telegram import TOKEN, FakeBotAPI

    api = await FakeBotAPI().start()
    config = core.settings.adapters.telegram.model_copy(
        update={"base_url": f"{api.base}/bot", "poll_timeout_s": 1, "wizard_timeout_s": 1}
    )
    adapter = TelegramAdapter(core, TOKEN, config)
    await adapter.start()
    try:
        tg = Harness(adapter, api)
        await tg.send(message(ALICE, "/persona_new"))
        await asyncio.sleep(1.5)
        await api.wait_for("sendMessage", 2)
        assert "timed out" in api.find("sendMessage")[-1].text
        assert shown(await tg.send(message(ALICE, "Nova"))) == ["<b>Assistant</b>\necho: Nova"]
    finally:
        await adapter.stop()
        await api.stop()


async def test_spoken_replies_arrive_as_voice_notes(tg: Harness) -> None:
    await tg.send(message(ALICE, "/voice on"))
    calls = await tg.send(message(ALICE, "say something"))
    (note,) = [c for c in calls if c.method == "sendVoice"]
    assert note.files == ["reply.ogg"] and note.params["chat_id"] == str(ALICE["id"])
    assert shown(calls) == ["<b>Assistant</b>\necho: say something"]  # the text comes too


async def test_a_voice_note_is_transcribed_into_a_turn(tg: Harness, fake_llm: Any) -> None:

    fake_llm.server.transcript = "what's the weather like"
    tg.api.files["vn1"] = b"OggS\x00\x02" + b"\x00" * 200
    calls = await tg.send(voice_note(ALICE, "vn1"))
    assert [c.params["file_id"] for c in calls if c.method == "getFile"] == ["vn1"]
    assert shown(calls) == ["<b>Assistant</b>\necho: what's the weather like"]
    (upload,) = fake_llm.server.uploads
    assert b"OggS" in upload["body"]


async def test_a_captioned_upload_runs_the_command_with_the_file(tg: Harness) -> None:

    tg.api.files["vn2"] = b"OggS\x00\x02" + b"\x00" * 200
    await tg.send(message(ALICE, '/persona create luna prompt="You are Luna."'))
    calls = await tg.send(voice_note(ALICE, "vn2", caption="/voice upload"))
    assert any(c.method == "getFile" for c in calls)
    (answer,) = sent(calls)
    assert answer.text == "⚠️ voice cloning needs ElevenLabs: set ELEVENLABS_API_KEY"


async def test_a_retiring_persona_says_goodbye_by_dm(tg: Harness) -> None:
    await tg.send(message(ALICE, '/persona create luna prompt="You are Luna."'))
    await tg.send(message(ALICE, "good night, Luna"))
    await tg.send(message(ALICE, '/persona retire luna farewell="Sleep well, friend."'))
    before = len(tg.api.calls)
    assert (await tg.core.jobs.fire("retirement")).detail == "retired: luna"
    dms = [c for c in tg.api.calls[before:] if c.method == "sendMessage"]
    assert [(c.params["chat_id"], c.text) for c in dms] == [
        (str(ALICE["id"]), "Luna: Sleep well, friend.")
    ]
    (after,) = shown(await tg.send(message(ALICE, "still there?")))  # told already: no repeat
    assert after == (
        "<b>Assistant</b>\n(Luna has retired. You're now talking to Assistant — "
        "send your message again.)"
    )


async def test_start_cancel_and_the_wizard_are_declared_commands(tg: Harness) -> None:
    """/start and /cancel go through the dispatcher like any command, and /help lists them."""

    async def say(text: str) -> str:
        return sent(await tg.send(message(ALICE, text)))[-1].text

    welcome = await say("/start")
    assert welcome.startswith("Hi! I'm personabot.") and "/persona_new creates your own" in welcome
    assert await say("/cancel") == "Nothing to cancel."
    assert "/persona new — Create your own persona" in await say("/help persona")
    overview = await say("/help")
    assert "/start" in overview and "/cancel" in overview


async def test_a_demoted_group_admin_loses_the_right_at_once(tg: Harness) -> None:
    tg.api.admins.add(ALICE["id"])
    done = sent(await tg.send(message(ALICE, "/channel_chat on", chat_id=GROUP)))
    assert "every message" in done[0].text
    tg.api.admins.discard(ALICE["id"])  # demoted in the group a moment later
    (refused,) = sent(await tg.send(message(ALICE, "/channel_chat off", chat_id=GROUP)))
    assert "only admins of this server or group" in refused.text


async def test_a_too_big_upload_is_refused_before_it_is_downloaded(tg: Harness) -> None:
    tg.api.files["big"] = b"OggS" + b"\x00" * 64  # what a download would fetch
    big = voice_note(ALICE, "big", caption="/voice upload", file_size=40 * 1024 * 1024)
    calls = await tg.send(big)
    assert not [c for c in calls if c.method == "getFile"]  # never fetched
    (answer,) = sent(calls)
    assert answer.text == "⚠️ 'voice.ogg' is too big: 40.0 MB (limit 10 MB)"


async def test_typing_is_sent_once_per_message_and_refreshed_only_while_the_model_works(
    tg: Harness, fake_llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five messages from one user arrive at once: each turn says "typing…" once when it
    starts (none while it waits in line); a model slower than the refresh period brings
    refreshes, and only while it works."""
    before = len(tg.api.calls)
    ids = [tg.api.push(message(ALICE, f"quick {i}")) for i in range(5)]
    await tg.api.fetched(ids[-1])
    await tg.settle()
    calls = [c for c in tg.api.calls[before:] if c.method != "getUpdates"]
    typing = [c for c in calls if c.method == "sendChatAction"]
    assert len(typing) == 5
    assert len(shown(calls)) == 5
    monkeypatch.setattr(TgStream, "typing_every_s", 0.2)
    fake_llm.server.hang_s = 0.9
    fake_llm.fail_next("hang")
    calls = await tg.send(message(ALICE, "slow one"))
    refreshed = [c for c in calls if c.method == "sendChatAction"]
    assert 3 <= len(refreshed) <= 6, len(refreshed)
    assert shown(calls)[-1].endswith("echo: slow one")


async def test_undo_takes_the_last_exchange_out_of_the_next_prompt(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    await tg.send(message(ALICE, "my door code is 5521"))
    calls = await tg.send(message(ALICE, "/undo"))
    assert any("Undone" in text and "5521" in text for text in shown(calls))
    await tg.send(message(ALICE, "what is my door code?"))
    prompt = "\n".join(str(m["content"]) for m in fake_llm.chat_requests[-1]["messages"])
    assert "5521" not in prompt and "what is my door code?" in prompt


def _final(calls: list[Call]) -> Call:
    """The call that gave a streamed reply its final text and buttons."""
    return [c for c in calls if c.method in ("sendMessage", "editMessageText")][-1]


async def test_reply_buttons_regenerate_and_swipe_for_its_user_only(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    fake_llm.server.numbered = True
    calls = await tg.send(message(ALICE, "tell me a joke"))
    final = _final(calls)
    assert final.text.endswith("echo 1: tell me a joke")
    [regen] = buttons(final)
    assert regen["text"] == "🔄"
    (posted,) = sent(calls)
    on = bot_msg(posted)

    calls = await tg.send(press(ALICE, regen["callback_data"], on))
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert edit.text.endswith("echo 2: tell me a joke")
    labels = {b["text"]: b["callback_data"] for b in buttons(edit)}
    assert list(labels) == ["◀", "2/2", "▶", "🔄"]

    refused = await tg.send(press(BOB, labels["◀"], on))
    assert [c.params.get("text") for c in refused] == [
        "Only the person this reply answered can use these buttons."
    ]
    calls = await tg.send(press(ALICE, labels["◀"], on))
    (edit,) = [c for c in calls if c.method == "editMessageText"]
    assert edit.text.endswith("echo 1: tell me a joke") and buttons(edit)[1]["text"] == "1/2"

    await tg.send(message(ALICE, "another"))
    history = [m["content"] for m in fake_llm.chat_requests[-1]["messages"]]
    assert "echo 1: tell me a joke" in history and "echo 2: tell me a joke" not in history
    stale = await tg.send(press(ALICE, labels["🔄"], on))
    (answer,) = [c for c in stale if c.method == "answerCallbackQuery"]
    assert "only the latest reply" in answer.params["text"]
    assert not [c for c in stale if c.method == "editMessageText"]


async def test_stop_button_ends_a_reply_mid_stream_and_keeps_it(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    llm = tg.core.llm  # the test settings' 2 s limit would end the reply before the press
    llm.cfg = llm.cfg.model_copy(update={"timeout_s": 30})
    fake_llm.server.slow_s = 0.1  # six seconds of streaming, left alone
    fake_llm.fail_next("slow")
    tg.api.push(message(ALICE, " ".join(f"word{i}" for i in range(60))))
    [first] = await tg.api.wait_for("sendMessage")
    [stop] = buttons(first)
    assert stop["text"] == "⏹ Stop"
    progress = (await tg.api.wait_for("editMessageText"))[0]  # a second in: words shown
    assert buttons(progress) == [stop]  # every edit keeps ⏹
    tg.api.push(press(BOB, stop["callback_data"], bot_msg(first)))
    tg.api.push(press(ALICE, stop["callback_data"], bot_msg(first)))
    await tg.api.wait_for("answerCallbackQuery", 2)
    await tg.settle()
    answers = [c.params.get("text") for c in tg.api.find("answerCallbackQuery")]
    assert answers == ["Only the person this reply is for can stop it.", "Stopped."]
    final = tg.api.find("editMessageText")[-1]
    assert "(stopped — what was written so far is kept)" in final.text
    assert "word59" not in final.text and "word0" in final.text
    assert "⏹ Stop" not in str(final.params.get("reply_markup"))
    async with tg.core.db.sessions() as s:
        rows = (await s.execute(select(Turn.status).where(Turn.role == "assistant"))).all()
    assert [r[0] for r in rows] == ["cut"]


def _edited(update: dict[str, Any], text: str) -> dict[str, Any]:
    """The `edited_message` update Telegram sends when that message's text is changed."""
    return {"edited_message": {**update["message"], "text": text, "edit_date": int(time.time())}}


async def test_an_edited_last_message_is_answered_again_and_the_history_follows(
    tg: Harness, fake_llm: FakeOpenAI
) -> None:
    older = message(ALICE, "my cat is called Tom")
    await tg.send(older)
    latest = message(ALICE, "my dog is called Rex")
    await tg.send(latest)
    calls = await tg.send(_edited(latest, "my dog is called Max"))
    (answer,) = sent(calls)
    assert answer.text.endswith("echo: my dog is called Max")
    assert [b["text"] for b in buttons(answer)] == ["◀", "2/2", "▶", "🔄"]
    assert not [c for c in await tg.send(_edited(older, "my cat is Tim")) if c.method != "getMe"]
    command = message(ALICE, "/usage")
    await tg.send(command)
    assert not sent(await tg.send(_edited(command, "/help")))  # an edited command is not rerun
    await tg.send(message(ALICE, "what are my pets called?"))
    prompt = "\n".join(str(m["content"]) for m in fake_llm.chat_requests[-1]["messages"])
    assert "my dog is called Max" in prompt and "Rex" not in prompt
    assert "my cat is called Tom" in prompt and "Tim" not in prompt
