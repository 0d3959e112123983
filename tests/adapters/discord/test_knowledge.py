"""/knowledge add on Discord: the file as an attachment option, progress edits the deferred
response (one message), and the passage reaches the next answer's prompt."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord.conftest import ALICE, Harness
from tests.adapters.discord.test_slash import MENTION, _create
from tests.support import discord_gateway as gw
from tests.support.documents import pdf
from tests.support.fake_discord import BOT_USER

PAGES = [f"Chapter {n}.\nThe rule of chapter {n} is rule number {n * 7}." for n in range(1, 13)]


async def test_an_attached_document_is_indexed_with_progress_in_the_deferred_response(
    dc: Harness, fake_llm: Any
) -> None:
    await _create(dc, ALICE, "referee", prompt="You referee.")
    await dc.slash(ALICE, ("persona", "switch"), name="referee")
    manual = dc.api.attachment("manual.pdf", pdf(PAGES), "application/pdf")
    data = gw.command_data(("knowledge", "add"), {})
    data["options"][0]["options"] = [{"type": 11, "name": "file", "value": manual["id"]}]
    data["resolved"] = {"attachments": {manual["id"]: manual}}
    calls = await dc.interact(ALICE, 2, data)
    [deferred] = [c for c in calls if c.path.startswith("interactions/")]
    assert deferred.body["type"] == 5  # "thinking…", answered later
    edits = [c for c in calls if c.method == "PATCH" and c.path.endswith("/messages/@original")]
    texts = [c.body["content"] for c in edits]
    assert texts[0] == "reading manual.pdf…"
    assert "indexing manual.pdf — 12/12 pages" in texts
    final = [c for c in calls if c.method == "POST" and c.path.startswith("webhooks/")]
    assert "Added manual.pdf for Referee: pdf, 12 pages" in final[-1].body["content"]
    prompt_before = len(fake_llm.chat_requests)
    await dc.message(ALICE, f"{MENTION} what is the rule of chapter 9?", mentions=(BOT_USER,))
    assert len(fake_llm.chat_requests) > prompt_before
    system = str(fake_llm.chat_requests[-1]["messages"][0]["content"])
    assert "rule number 63" in system and "[manual.pdf p.9]" in system
