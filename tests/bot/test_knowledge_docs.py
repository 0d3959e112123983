"""Persona documents through the core: real files built here, a real LanceDB folder, prompts
checked at the loopback model."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from bot.core import Core
from bot.messages import Attachment, Reply
from storage.knowledge_index import Chunk
from tests.conftest import who
from tests.support import documents as make
from tests.support.fake_openai import FakeOpenAI

ALICE, BOB = who("alice"), who("bob")


RULES = [
    "Welcome to the guild handbook.\nRead it before your first raid.",
    "The dragon rule: a dragon may only be fought by a party of five.\nBring fire potions.",
    "Loot is shared evenly.\nThe quartermaster keeps the ledger.",
]


def _file(name: str, data: bytes) -> tuple[Attachment, ...]:
    return (Attachment(name, "application/octet-stream", data),)


async def _add(core: Core, name: str, data: bytes, persona: str = "") -> Reply:
    line = "/knowledge add" + (f" persona={persona}" if persona else "")
    return await core.handle_text(ALICE, line, attachments=_file(name, data))


async def _persona(core: Core, user: object, name: str) -> None:
    reply = await core.handle_text(user, f"/persona create {name} prompt=You help.")  # type: ignore[arg-type]
    assert not reply.error, reply.text
    reply = await core.handle_text(user, f"/persona switch {name}")  # type: ignore[arg-type]
    assert not reply.error, reply.text


def _system(fake_llm: FakeOpenAI) -> str:
    return str(fake_llm.chat_requests[-1]["messages"][0]["content"])


async def _chunks(core: Core, persona: str, owner: object = ALICE) -> int:
    assert core.documents is not None
    p = await core.personas.find(await core.context(owner), persona)  # type: ignore[arg-type]
    return await core.documents.index.count(p.id)


async def test_every_kind_is_indexed_and_its_passage_reaches_the_prompt_with_its_source(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    await _persona(core, ALICE, "guide")
    files = {
        "rules.pdf": make.pdf(RULES),
        "travel.docx": make.docx(
            [("Heading 1", "Ferries"), ("", "The night ferry to Skellig leaves at 23:40.")]
        ),
        "cafe.html": make.html(
            "<h1>Menu</h1><p>The walnut cake costs four crowns.</p>", "var x = 'stolen'"
        ),
        "fees.md": b"# Fees\n\nMembership costs *twelve* silver a moon.\n",
        "notes.txt": b"The lighthouse keeper is called Odran.",
    }
    for name, data in files.items():
        reply = await _add(core, name, data)
        assert not reply.error and "Added" in reply.text, reply.text
    listed = await core.handle_text(ALICE, "/knowledge list")
    assert all(name in listed.text for name in files)
    asks = {
        "Can we fight a dragon with a party of three?": ("party of five", "[rules.pdf p.2]"),
        "When does the night ferry to Skellig leave?": ("23:40", "[travel.docx Ferries]"),
        "How much is the walnut cake?": ("four crowns", "[cafe.html]"),
        "What does membership cost?": ("twelve", "[fees.md Fees]"),
        "Who keeps the lighthouse?": ("Odran", "[notes.txt]"),
    }
    for question, (fact, source) in asks.items():
        await core.handle_text(ALICE, question)
        system = _system(fake_llm)
        assert fact in system and source in system, (question, system[-800:])
    assert "stolen" not in system  # the page's script never became text
    found = await core.handle_text(ALICE, '/knowledge search "dragon party"')
    assert "[rules.pdf p.2]" in found.text


async def test_another_users_private_persona_documents_never_reach_a_prompt(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    await _persona(core, ALICE, "secretkeeper")
    await _add(core, "vault.md", b"# Vault\n\nThe vault code is 7731-AZURE.\n")
    await _persona(core, BOB, "helper")
    await core.handle_text(BOB, "What is the vault code?")
    assert "7731" not in _system(fake_llm)
    refused = await core.handle_text(BOB, '/knowledge search "vault code" persona=secretkeeper')
    assert refused.error and "7731" not in refused.text
    listing = await core.handle_text(BOB, "/knowledge list persona=secretkeeper")
    assert listing.error and "vault" not in listing.text
    added = await core.handle_text(
        BOB, "/knowledge add persona=secretkeeper", attachments=_file("x.md", b"# x\n\nmine")
    )
    assert added.error
    await core.handle_text(ALICE, "What is the vault code?")
    assert "7731-AZURE" in _system(fake_llm)  # its owner's persona does read it


async def test_the_same_file_twice_is_indexed_once(core: Core) -> None:
    await _persona(core, ALICE, "guide")
    await _add(core, "rules.pdf", make.pdf(RULES))
    before = await _chunks(core, "guide")
    again = await _add(core, "handbook-copy.pdf", make.pdf(RULES))
    assert "already has this document as rules.pdf" in again.text
    assert await _chunks(core, "guide") == before
    listed = await core.handle_text(ALICE, "/knowledge list")
    assert "handbook-copy.pdf" not in listed.text


async def test_a_changed_file_replaces_its_chunks_and_searches_never_see_both_or_neither(
    core: Core,
) -> None:
    await _persona(core, ALICE, "guide")
    await _add(core, "rules.pdf", make.pdf(RULES))
    docs = core.documents
    assert docs is not None
    p = await core.personas.find(await core.context(ALICE), "guide")
    doc = await docs.get(p.id, "rules.pdf")
    old = await docs.index.count(p.id)
    seen: list[set[str]] = []
    stop = asyncio.Event()

    async def watch() -> None:
        probe = np.zeros(docs.index.dim, dtype=np.float32)
        probe[0] = 1.0
        while not stop.is_set():
            hits = await docs.index.by_vector(p.id, [doc.id], probe, 50)
            seen.append({"new" if "revised" in h.chunk.text else "old" for h in hits})

    watcher = asyncio.create_task(watch())
    await asyncio.sleep(0.05)
    revised = [f"{page}\nrevised edition" for page in RULES[:2]]
    reply = await _add(core, "rules.pdf", make.pdf(revised))
    await asyncio.sleep(0.05)
    stop.set()
    await watcher
    assert "Replaced rules.pdf" in reply.text
    assert seen and all(s in ({"old"}, {"new"}) for s in seen), seen
    assert seen[0] == {"old"} and seen[-1] == {"new"}
    assert (await docs.get(p.id, "rules.pdf")).id == doc.id
    texts = [h.chunk.text for h in await docs.index.by_text(p.id, [doc.id], "dragon", 50)]
    assert texts and all("revised" in t for t in texts)
    assert await docs.index.count(p.id) != old or old == len(revised)


BAD = {
    "locked.pdf": (make.encrypted_pdf(RULES), "encrypted"),
    "broken.pdf": (b"%PDF-1.4\n1 0 obj <<>> garbage", "damaged"),
    "report.docx": (make.zip_bomb_docx(), "zip bomb"),
    "empty.txt": (b"", "empty"),
    "blank.md": (b"   \n\n  ", "no text"),
    "image.png": (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not text"),
    "archive.docx": (make.plain_zip(), "not a Word document"),
    "scan.pdf": (make.pdf(["", ""]), "no text"),
}


@pytest.mark.parametrize("name", sorted(BAD))
async def test_a_bad_file_is_refused_in_one_line_and_nothing_is_stored(
    core: Core, name: str
) -> None:
    await _persona(core, ALICE, "guide")
    data, why = BAD[name]
    reply = await _add(core, name, data)
    assert reply.error and why in reply.text and "\n" not in reply.text, reply.text
    assert "no documents" in (await core.handle_text(ALICE, "/knowledge list")).text
    assert await _chunks(core, "guide") == 0


@pytest.mark.parametrize(
    "settings",
    [{"knowledge": {"file_bytes": 2048, "pages": 2, "types": ["pdf", "markdown"]}}],
    indirect=True,
)
async def test_limits_from_config_refuse_with_nothing_stored(core: Core) -> None:
    await _persona(core, ALICE, "guide")
    for name, data, why in [
        ("big.md", b"# Big\n\n" + b"word " * 1000, "over the 2 KB limit"),
        ("long.pdf", make.pdf(RULES), "has 3 pages; the limit is 2"),
        ("plain.txt", b"just some text here", "text files are not allowed"),
    ]:
        reply = await _add(core, name, data)
        assert reply.error and why in reply.text, reply.text
    assert await _chunks(core, "guide") == 0


@pytest.mark.parametrize("settings", [{"knowledge": {"chunks_per_persona": 3}}], indirect=True)
async def test_the_chunk_limit_per_persona_refuses_a_document_that_would_pass_it(
    core: Core,
) -> None:
    await _persona(core, ALICE, "guide")
    assert not (await _add(core, "rules.pdf", make.pdf(RULES))).error
    more = await _add(core, "more.md", b"# More\n\nOne more line of lore.\n")
    assert more.error and "chunks_per_persona" in more.text
    assert await _chunks(core, "guide") == 3


async def test_deleting_the_persona_removes_its_documents_and_chunks(core: Core) -> None:
    await _persona(core, ALICE, "guide")
    await _add(core, "rules.pdf", make.pdf(RULES))
    p = await core.personas.find(await core.context(ALICE), "guide")
    assert core.documents is not None and await core.documents.index.count(p.id) > 0
    pending = await core.handle_text(ALICE, "/persona delete guide")
    assert pending.confirm is not None
    await core.confirm(pending.confirm.token, ALICE, True)
    assert await core.documents.index.count(p.id) == 0
    assert await core.documents.repo.list(p.id) == []


async def test_indexing_reports_its_progress_by_pages(core: Core) -> None:
    await _persona(core, ALICE, "guide")
    said: list[str] = []

    async def progress(text: str) -> None:
        said.append(text)

    pages = [f"Page {n} of the long manual about rule {n}." for n in range(1, 41)]
    reply = await core.handle_text(
        ALICE,
        "/knowledge add",
        attachments=_file("manual.pdf", make.pdf(pages)),
        progress=progress,
    )
    assert "Added manual.pdf" in reply.text and "40 pages" in reply.text
    assert said[0] == "reading manual.pdf…"
    assert any(s.startswith("indexing manual.pdf — ") and "/40 pages" in s for s in said), said


async def test_the_index_keeps_personas_apart(core: Core) -> None:
    """Chunks are keyed by persona: a search of one never returns another's."""
    docs = core.documents
    assert docs is not None
    vec = np.ones((1, docs.index.dim), dtype=np.float32)
    await docs.index.replace(1, 1, [Chunk(1, 0, "alpha secret text", "a.md")], vec)
    await docs.index.replace(2, 2, [Chunk(2, 0, "alpha other text", "b.md")], vec)
    assert [h.chunk.source for h in await docs.index.by_text(1, [1, 2], "alpha", 10)] == ["a.md"]
    assert [h.chunk.source for h in await docs.index.by_vector(2, [1, 2], vec[0], 10)] == ["b.md"]


async def test_chunks_sql_does_not_know_never_reach_a_prompt(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    """Chunks left behind (a persona deleted half-way whose id came back, a document whose
    row was never written) are not searched: a search keeps to the documents SQL lists."""
    await _persona(core, ALICE, "guide")
    await _add(core, "rules.pdf", make.pdf(RULES))
    docs = core.documents
    assert docs is not None
    p = await core.personas.find(await core.context(ALICE), "guide")
    stray = np.ones((1, docs.index.dim), dtype=np.float32)
    await docs.index.replace(
        p.id, 10_000, [Chunk(10_000, 0, "the dragon code is 4242", "old.md")], stray
    )
    await core.handle_text(ALICE, "what is the dragon code?")
    system = _system(fake_llm)
    assert "4242" not in system and "[rules.pdf" in system


@pytest.mark.parametrize("settings", [{"knowledge": {"show_sources": True}}], indirect=True)
async def test_show_sources_puts_the_passages_sources_under_the_reply_only(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    await _persona(core, ALICE, "guide")
    await _add(core, "rules.pdf", make.pdf(RULES))
    reply = await core.handle_text(ALICE, "Can we fight a dragon with a party of three?")
    footer = reply.text.rsplit("\n\nSources: ", 1)
    assert len(footer) == 2 and "rules.pdf p.2" in footer[1].split("; "), reply.text
    await core.handle_text(ALICE, "thanks")
    history = [m["content"] for m in fake_llm.chat_requests[-1]["messages"][1:]]
    assert not any("Sources:" in str(m) for m in history)  # the stored reply is the model's


async def test_export_and_the_retirement_archive_list_the_documents(core: Core) -> None:
    """Names, hashes and sizes travel with the persona; the files themselves stay here."""
    import hashlib
    import json

    await _persona(core, ALICE, "guide")
    data = make.pdf(RULES)
    await _add(core, "rules.pdf", data)
    exported = await core.handle_text(ALICE, "/persona export guide format=json")
    card = json.loads(exported.attachments[0].data)
    [listed] = card["data"]["extensions"]["personabot"]["documents"]
    assert listed["name"] == "rules.pdf" and listed["bytes"] == len(data)
    assert listed["sha256"] == hashlib.sha256(data).hexdigest() and listed["pages"] == 3
    await core.handle_text(ALICE, "/persona retire guide")
    outcome = await core.jobs.fire("retirement")
    assert outcome.status == "ok", outcome.detail
    [archive] = (core.settings.data_dir / "archives").glob("guide-*.json")
    saved = json.loads(archive.read_text(encoding="utf-8"))
    assert [d["name"] for d in saved["documents"]] == ["rules.pdf"]
    assert saved["documents"][0]["sha256"] == listed["sha256"]


async def test_a_shared_personas_documents_serve_everyone_who_may_use_it(
    core: Core, fake_llm: FakeOpenAI
) -> None:
    """Documents belong to the persona: Bob talking to Alice's public persona reads them,
    may search them, and may not change them."""
    space = who("alice", "guild-1", "group")
    bob = who("bob", "guild-1", "group")
    made = await core.handle_text(space, "/persona create ferryman prompt=Boats. public=yes")
    assert not made.error, made.text
    added = await core.handle_text(
        space,
        "/knowledge add persona=ferryman",
        attachments=_file("timetable.md", b"# Night\n\nThe night ferry leaves at 23:40.\n"),
    )
    assert "Added timetable.md" in added.text, added.text
    await core.handle_text(bob, "/persona switch ferryman")
    await core.handle_text(bob, "when does the night ferry leave?")
    assert "23:40" in _system(fake_llm) and "[timetable.md Night]" in _system(fake_llm)
    found = await core.handle_text(bob, '/knowledge search "night ferry"')
    assert "[timetable.md Night]" in found.text
    refused = await core.handle_text(bob, "/knowledge remove timetable.md persona=ferryman")
    assert refused.error and "only the owner" in refused.text


async def test_show_remove_and_reindex(core: Core, fake_llm: FakeOpenAI) -> None:
    await _persona(core, ALICE, "guide")
    data = make.pdf(RULES)
    await _add(core, "rules.pdf", data)
    await _add(core, "fees.md", b"# Fees\n\nMembership costs twelve silver a moon.\n")
    shown = await core.handle_text(ALICE, "/knowledge show rules.pdf")
    assert "pages: 3" in shown.text and f"size: 1 KB ({len(data):,} bytes)" in shown.text
    assert (await core.handle_text(ALICE, "/knowledge show nothing.pdf")).error
    total = await _chunks(core, "guide")
    again = await core.handle_text(ALICE, "/knowledge reindex")
    assert f"{total} chunks" in again.text and await _chunks(core, "guide") == total
    pending = await core.handle_text(ALICE, "/knowledge remove rules.pdf")
    assert pending.confirm is not None
    await core.confirm(pending.confirm.token, ALICE, True)
    assert "rules.pdf" not in (await core.handle_text(ALICE, "/knowledge list")).text
    assert await _chunks(core, "guide") < total
    await core.handle_text(ALICE, "Can we fight a dragon with a party of three?")
    assert "party of five" not in _system(fake_llm)
    await core.handle_text(ALICE, "What does membership cost?")
    assert "twelve silver" in _system(fake_llm)


async def test_presets_documents_are_for_admins_to_change(core: Core) -> None:
    root, member = who("root"), who("mallory")
    refused = await core.handle_text(
        member, "/knowledge add persona=assistant", attachments=_file("x.md", b"# x\n\nhello")
    )
    assert refused.error and "admins" in refused.text
    added = await core.handle_text(
        root, "/knowledge add persona=assistant", attachments=_file("x.md", b"# X\n\nhello there")
    )
    assert "Added x.md for" in added.text, added.text
    assert (await core.handle_text(member, "/knowledge list persona=assistant")).error


async def test_another_users_turn_is_answered_while_a_long_document_is_indexed(
    core: Core,
) -> None:
    await _persona(core, ALICE, "guide")
    started = asyncio.Event()

    async def progress(text: str) -> None:
        started.set()

    pages = [f"Page {n}.\n" + "The guild keeps its rules in this book. " * 40 for n in range(80)]
    adding = asyncio.create_task(
        core.handle_text(
            ALICE,
            "/knowledge add",
            attachments=_file("big.pdf", make.pdf(pages)),
            progress=progress,
        )
    )
    await started.wait()
    reply = await core.handle_text(BOB, "hello there")
    assert not reply.error and not adding.done()  # Bob did not wait for Alice's 80 pages
    assert "Added big.pdf" in (await adding).text
