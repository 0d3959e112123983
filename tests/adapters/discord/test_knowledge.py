"""/knowledge add on Discord: the file as an attachment option, progress edits the deferred
response (one message), and the passage reaches the next answer's prompt."""

from __future__ import annotations

from typing import Any

from tests.adapters.discord.conftest import ALICE, Harness
from tests.adapters.discord.test_slash import MENTION, _create
from tests.support import discord_gateway as gw
from tests.support.documents import docx, html, pdf
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


async def test_docx_html_and_markdown_attachments_are_indexed_too(
    dc: Harness, fake_llm: Any
) -> None:
    await _create(dc, ALICE, "referee", prompt="You referee.")
    await dc.slash(ALICE, ("persona", "switch"), name="referee")
    files = {
        "travel.docx": docx([("Heading 1", "Ferries"), ("", "The night ferry leaves at 23:40.")]),
        "cafe.html": html("<p>The walnut cake costs four crowns.</p>", "steal()"),
        "fees.md": b"# Fees\n\nMembership costs twelve silver a moon.\n",
    }
    for name, data in files.items():
        file = dc.api.attachment(name, data, "application/octet-stream")
        data_ = gw.command_data(("knowledge", "add"), {})
        data_["options"][0]["options"] = [{"type": 11, "name": "file", "value": file["id"]}]
        data_["resolved"] = {"attachments": {file["id"]: file}}
        calls = await dc.interact(ALICE, 2, data_)
        final = [c for c in calls if c.method == "POST" and c.path.startswith("webhooks/")]
        assert f"Added {name} for Referee" in final[-1].body["content"]
    await dc.message(ALICE, f"{MENTION} what does membership cost?", mentions=(BOT_USER,))
    system = str(fake_llm.chat_requests[-1]["messages"][0]["content"])
    assert "twelve silver" in system and "[fees.md Fees]" in system
