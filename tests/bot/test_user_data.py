"""A person's own data: /me export gives them everything held about them (and nobody else's),
and /me forget leaves no row, vector or file that references them — checked by reading every
byte under the data folder — while usage totals stay, anonymous."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

from bot.core import Core
from bot.messages import Attachment, Reply, Who
from storage.inbox import Kept
from storage.models import utcnow

ALICE_REF, BOB_REF = "771234567890123", "882345678901234"
SECRET = "zebraquartz4471"  # one token, so the full-text index would hold it whole too
NAME = "Zephyrine"
BOB_SECRET = "otterplume5582"
ALICE_DM = Who("discord", ALICE_REF, f"Alicia {NAME}", f"dm:{ALICE_REF}", "dm")
ALICE = Who("discord", ALICE_REF, f"Alicia {NAME}", "g1", "group", channel_ref="10")
BOB = Who("discord", BOB_REF, "Bob", "g1", "group", channel_ref="10")


async def _ok(core: Core, who: Who, line: str, **kw: object) -> Reply:
    reply = await core.handle_text(who, line, **kw)  # type: ignore[arg-type]
    assert not reply.error, (line, reply.text)
    return reply


async def _confirmed(core: Core, who: Who, line: str) -> Reply:
    asked = await _ok(core, who, line)
    assert asked.confirm is not None, asked.text
    return await core.confirm(asked.confirm.token, who, True)


def _files_holding(root: Path, *needles: str) -> list[str]:
    """Every file under `root` whose bytes hold one of `needles` (any case)."""
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes().lower()
            if any(n.lower().encode() in data for n in needles):
                found.append(str(path.relative_to(root)))
    return found


async def _alice_everywhere(core: Core) -> None:
    """Alice leaves traces in every store: turns, memories, a description, her own shared
    persona with a document and Bob's conversation, spoken replies, archives, usage."""
    await _ok(core, ALICE_DM, f'/me set name="Alicia {NAME}" about="my locker code is {SECRET}"')
    await _ok(core, ALICE_DM, "/voice on")
    await _ok(core, ALICE_DM, f"remember {SECRET} for me")
    await _ok(core, ALICE, f"in the group: {SECRET} again")
    await _ok(core, ALICE, '/persona create kit prompt="Kit helps." public=yes')
    doc = Attachment("notes.txt", "text/plain", f"Kit's notes: {SECRET} opens the shed.".encode())
    await _ok(core, ALICE, "/knowledge add persona=kit", attachments=(doc,))
    await _ok(core, BOB, "/persona switch kit")
    await _ok(core, BOB, "hello kit, nice to meet you")
    await _ok(core, BOB, '/persona create oldie prompt="Oldie." public=yes')
    await _ok(core, ALICE, "/persona switch oldie")
    await _ok(core, ALICE, f"oldie, keep {SECRET} safe")
    await _ok(core, BOB, "/persona switch assistant")
    await _ok(core, BOB, f"my own note: {BOB_SECRET}")
    for name in ("oldie", "kit"):
        p = await core.personas.find(await core.context(ALICE), name)
        await core.retirement.archive(p, utcnow())
    payload = json.dumps({"message": {"from": {"id": int(ALICE_REF)}, "text": SECRET}})
    await core.inbox.repo.keep("discord", [Kept(1, payload, ALICE_REF)])
    if core.memory is not None:
        await core.memory.settle()


def _usage(db: Path) -> tuple[int, int]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT count(*), sum(prompt_tokens + completion_tokens) FROM usage_log"
        ).fetchone()
    return int(row[0]), int(row[1] or 0)


async def test_export_holds_everything_of_theirs_and_nothing_of_anyone_else(core: Core) -> None:
    await _alice_everywhere(core)
    reply = await _ok(core, ALICE, "/me export")
    assert reply.ephemeral and len(reply.attachments) == 1
    file = reply.attachments[0]
    assert file.filename.endswith(".zip")  # her spoken replies come along
    with zipfile.ZipFile(io.BytesIO(file.data)) as z:
        data = json.loads(z.read("data.json"))
        audio = [n for n in z.namelist() if n.startswith("audio/")]
    assert audio and all(n.endswith(".ogg") for n in audio)
    assert data["accounts"] == [{"platform": "discord", "id": ALICE_REF}]
    sql = data["database"]
    said = [t["content"] for t in sql["turns"] if t["role"] == "user"]
    assert f"remember {SECRET} for me" in said and f"oldie, keep {SECRET} safe" in said
    assert [p["name"] for p in sql["personas"]] == ["kit"]
    assert sql["documents"][0]["name"] == "notes.txt"
    assert SECRET in sql["user_descriptions"][0]["about"]
    assert sql["usage_log"] and sql["voice_prefs"] and sql["spaces"]
    assert any(SECRET in m["text"] for m in data["memory_index"])
    assert len(data["memory_index"][0]["vector"]) > 100
    archived = {a["file"]: a for a in data["archives"]}
    assert any(f"discord:{ALICE_REF}" in a.get("users", {}) for a in archived.values())
    assert sql["inbox"][0]["message"]["text"] == SECRET
    text = json.dumps(data)
    assert BOB_SECRET not in text and "hello kit, nice to meet you" not in text
    assert f"{reply.text}".startswith("Everything I hold about you (accounts: discord ")


async def test_forget_leaves_no_row_vector_or_file_that_references_them(core: Core) -> None:
    await _alice_everywhere(core)
    data_dir = core.settings.data_dir
    db_file = next(data_dir.glob("*.db"))
    assert _files_holding(data_dir, SECRET)  # the traces are really there first
    usage_before = _usage(db_file)
    old_id = (await core.context(ALICE)).user_id

    asked = await _ok(core, ALICE, "/me forget")
    assert "your 1 personas (kit)" in asked.text and asked.text.endswith("cannot be undone.")
    done = await core.confirm(asked.confirm.token, ALICE, True)  # type: ignore[union-attr]
    assert done.text.startswith("Erased: ") and "1 personas" in done.text, done.text

    await core.memory.vectors.close()  # type: ignore[union-attr]
    leftovers = _files_holding(data_dir, SECRET, NAME, ALICE_REF)
    assert leftovers == []
    with sqlite3.connect(db_file) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            for column in ("user_id", "owner_id", "reporter_id", "linked_to"):
                if column in columns:
                    n = conn.execute(
                        f"SELECT count(*) FROM {table} WHERE {column} = ?", (old_id,)
                    ).fetchone()[0]
                    assert n == 0, (table, column)
        dump = "\n".join(conn.iterdump()).lower()
    assert SECRET not in dump and NAME.lower() not in dump and ALICE_REF not in dump
    assert BOB_SECRET in dump  # Bob's own words stay
    assert "hello kit" not in dump  # what Bob said to her persona went with it
    count, tokens = _usage(db_file)
    assert (count, tokens) == usage_before  # the totals stay, under nobody
    lance = [r for r in await core.memory.vectors.of_users([old_id])]  # type: ignore[union-attr]
    assert lance == []
    assert core.documents is not None and await core.documents.index.count() == 0
    assert not list((data_dir / "archives").glob("kit-*.json"))
    oldie = json.loads(next((data_dir / "archives").glob("oldie-*.json")).read_text())
    assert f"discord:{ALICE_REF}" not in oldie["users"]

    again = await core.handle_text(ALICE, "hello?")  # she starts as a stranger
    assert not again.error
    shown = await core.handle_text(ALICE, "/me show")
    assert "haven't told the personas anything" in shown.text


async def test_admins_erase_on_request_and_unknown_ids_change_nothing(core: Core) -> None:
    root = Who("console", "root", "Root", "local", "console")
    await _ok(core, BOB, f"my own note: {BOB_SECRET}")
    unknown = await core.handle_text(root, "/privacy erase 123 platform=discord")
    assert unknown.error and unknown.text == "the bot holds nothing about discord user 123"
    refused = await core.handle_text(BOB, f"/privacy erase {BOB_REF} platform=discord")
    assert refused.error and "only bot admins" in refused.text
    done = await _confirmed(core, root, f"/privacy erase {BOB_REF} platform=discord")
    assert done.text.startswith("Erased: ")
    await core.memory.vectors.close()  # type: ignore[union-attr]
    assert _files_holding(core.settings.data_dir, BOB_SECRET, BOB_REF) == []
    assert await core.user_data.repo.find("discord", BOB_REF) is None
