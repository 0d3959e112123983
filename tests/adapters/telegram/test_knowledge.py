"""/knowledge add on Telegram: a document captioned with the command, its progress shown in one
message that is edited, and the passage in the next answer's prompt."""

from __future__ import annotations

from typing import Any

from tests.adapters.telegram.conftest import ALICE, Harness
from tests.adapters.telegram.test_telegram import sent
from tests.support.documents import pdf
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
