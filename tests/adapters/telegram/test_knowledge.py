"""/knowledge add on Telegram: a document captioned with the command, its progress shown in one
message that is edited, and the passage in the next answer's prompt."""

from __future__ import annotations

from typing import Any

from tests.adapters.telegram.conftest import ALICE, Harness
from tests.adapters.telegram.test_telegram import sent
from tests.support.documents import docx, html, pdf
from tests.support.fake_telegram import document, message

PAGES = [f"Chapter {n}.\nThe rule of chapter {n} is rule number {n * 7}." for n in range(1, 13)]


async def test_a_document_captioned_knowledge_add_is_indexed_with_progress_in_one_message(
    tg: Harness, fake_llm: Any
) -> None:
    await tg.send(message(ALICE, '/persona create teacherbot prompt="You teach."'))
    await tg.send(message(ALICE, "/persona switch teacherbot"))
    tg.api.files["manual"] = pdf(PAGES)
    calls = await tg.send(
        document(ALICE, "manual", "manual.pdf", "application/pdf", "/knowledge add")
    )
    progress = sent(calls)[0]
    edits = [c for c in calls if c.method == "editMessageText"]
    assert progress.text == "reading manual.pdf…"
    assert edits and all(
        str(e.params["message_id"]) == str(progress.result["message_id"]) for e in edits
    )
    assert any("indexing manual.pdf — 12/12 pages" in e.params["text"] for e in edits)
    assert "Added manual.pdf for Teacherbot: pdf, 12 pages" in sent(calls)[-1].text
    await tg.send(message(ALICE, "What is the rule of chapter 9?"))
    system = str(fake_llm.chat_requests[-1]["messages"][0]["content"])
    assert "rule number 63" in system and "[manual.pdf p.9]" in system


async def test_docx_html_and_markdown_documents_are_indexed_too(
    tg: Harness, fake_llm: Any
) -> None:
    await tg.send(message(ALICE, '/persona create teacherbot prompt="You teach."'))
    await tg.send(message(ALICE, "/persona switch teacherbot"))
    files = {
        "travel.docx": docx([("Heading 1", "Ferries"), ("", "The night ferry leaves at 23:40.")]),
        "cafe.html": html("<p>The walnut cake costs four crowns.</p>", "steal()"),
        "fees.md": b"# Fees\n\nMembership costs twelve silver a moon.\n",
    }
    for name, data in files.items():
        tg.api.files[name] = data
        calls = await tg.send(
            document(ALICE, name, name, "application/octet-stream", "/knowledge add")
        )
        assert f"Added {name} for Teacherbot" in sent(calls)[-1].text
    await tg.send(message(ALICE, "How much is the walnut cake?"))
    system = str(fake_llm.chat_requests[-1]["messages"][0]["content"])
    assert "four crowns" in system and "[cafe.html]" in system and "steal" not in system
