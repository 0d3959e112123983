"""/lore: a persona's lorebook entries — list, show, add, edit, remove, import, export."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from bot.commands.spec import Param, Target, command
from bot.errors import BadInput
from bot.messages import Attachment, Reply
from personas.cards import check_book
from personas.lore import from_world_info
from personas.model import Persona

if TYPE_CHECKING:
    from bot.context import Context
    from bot.services import Services

PERSONA = Param("persona", "whose lorebook (default: the active persona)", type="persona")
TARGET = Target(
    "persona",
    "change",
    default_active=True,
    doing="change its lorebook",
    presets="change the lorebooks of presets",
)
N = Param(
    "n", "the entry's number in /lore list", type="int", required=True, positional=True, min=1
)
OPTIONS = (
    Param("keys", 'words that set it off, comma-separated: keys="castle, keep"'),
    Param("content", "what goes into the prompt when it fires", long=True),
    Param("secondary", "second keys (the entry fires only with one of them too)"),
    Param("constant", "always in the prompt", type="bool"),
    Param("enabled", "on or off", type="bool"),
    Param("position", "before or after the character text", choices=("before", "after")),
    Param("order", "insertion order (lower goes first)", type="int"),
    Param("regex", "keys are regular expressions", type="bool"),
    Param("case", "keys match case", type="bool"),
)


def _entries(p: Persona) -> list[dict[str, Any]]:
    book = p.card.get("character_book") or {}
    return list(book.get("entries") or [])


def _split(text: str) -> list[str]:
    return [k.strip() for k in text.split(",") if k.strip()]


def _line(n: int, e: dict[str, Any]) -> str:
    keys = ", ".join(e.get("keys") or []) or ("(always)" if e.get("constant") else "(no keys)")
    flags = [
        f for f, on in (("constant", e.get("constant")), ("off", e.get("enabled") is False)) if on
    ]
    text = " ".join(str(e.get("content", "")).split())
    clip = text if len(text) <= 60 else text[:59] + "…"
    return f"#{n} [{keys}]{' (' + ', '.join(flags) + ')' if flags else ''} {clip}"


def _book(p: Persona, entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The persona's lorebook (its name, settings and extensions) holding `entries`."""
    return {**(p.card.get("character_book") or {"extensions": {}}), "entries": entries}


async def _save(
    s: Services, ctx: Context, p: Persona, entries: list[dict[str, Any]], note: str
) -> None:
    limits = s.personas.card_limits()
    book = _book(p, entries)
    check_book(book, limits)  # the import's checks: entry count, content size
    await s.personas.update(p, {"card": {**p.card, "character_book": book}}, ctx.user_id, note)


def _apply(entry: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = dict(entry)
    if given.get("keys") is not None:
        out["keys"] = _split(given["keys"])
    if given.get("content") is not None:
        out["content"] = str(given["content"]).strip()
    if given.get("secondary") is not None:
        out["secondary_keys"] = _split(given["secondary"])
        out["selective"] = bool(out["secondary_keys"])
    for option, field in (
        ("constant", "constant"),
        ("enabled", "enabled"),
        ("regex", "use_regex"),
        ("case", "case_sensitive"),
    ):
        if given.get(option) is not None:
            out[field] = bool(given[option])
    if given.get("position") is not None:
        out["position"] = "after_char" if given["position"] == "after" else "before_char"
    if given.get("order") is not None:
        out["insertion_order"] = int(given["order"])
    if not out.get("content"):
        raise BadInput("an entry needs content=…")
    if not out.get("keys") and not out.get("constant"):
        raise BadInput('an entry needs keys="…" (or constant=yes)')
    return out


@command("lore", "list", help="A persona's lorebook entries", params=(PERSONA,), target=TARGET)
async def lore_list(s: Services, ctx: Context, persona: str | None, target: Persona) -> Reply:
    """Every entry, numbered."""
    entries = _entries(target)
    if not entries:
        return Reply(text=f"{target.display_name} has no lorebook entries.", ephemeral=True)
    lines = [f"{target.display_name}'s lorebook ({len(entries)} entries):"]
    lines += [_line(n, e) for n, e in enumerate(entries[:50], 1)]
    if len(entries) > 50:
        lines.append(f"… and {len(entries) - 50} more (/lore export has them all)")
    return Reply(text="\n".join(lines), ephemeral=True)


@command("lore", "show", help="One lorebook entry in full", params=(N, PERSONA), target=TARGET)
async def lore_show(
    s: Services, ctx: Context, n: int, persona: str | None, target: Persona
) -> Reply:
    """The entry's keys, settings and content."""
    entry = _nth(target, n)
    body = json.dumps(entry, ensure_ascii=False, indent=1)
    return Reply(text=f"{target.display_name}'s lore #{n}:\n{body}", ephemeral=True)


def _nth(p: Persona, n: int) -> dict[str, Any]:
    entries = _entries(p)
    if not 1 <= n <= len(entries):
        raise BadInput(f"{p.display_name} has {len(entries)} lorebook entries, not #{n}")
    return dict(entries[n - 1])


@command("lore", "add", help="Add a lorebook entry", params=(*OPTIONS, PERSONA), target=TARGET)
async def lore_add(s: Services, ctx: Context, target: Persona, **given: Any) -> Reply:
    """A new entry at the end."""
    entry = _apply({"extensions": {}, "enabled": True, "insertion_order": 100}, given)
    entries = [*_entries(target), entry]
    await _save(s, ctx, target, entries, "lore added")
    return Reply(text=f"Added lore #{len(entries)} to {target.display_name}.", ephemeral=True)


@command(
    "lore", "edit", help="Change a lorebook entry", params=(N, *OPTIONS, PERSONA), target=TARGET
)
async def lore_edit(s: Services, ctx: Context, n: int, target: Persona, **given: Any) -> Reply:
    """The given options change; the rest stays."""
    entries = _entries(target)
    entries[n - 1] = _apply(_nth(target, n), given)
    await _save(s, ctx, target, entries, "lore edited")
    return Reply(text=f"Changed lore #{n} of {target.display_name}.", ephemeral=True)


@command("lore", "remove", help="Delete a lorebook entry", params=(N, PERSONA), target=TARGET)
async def lore_remove(
    s: Services, ctx: Context, n: int, persona: str | None, target: Persona
) -> Reply:
    """Gone from the book (it stays in the persona's history)."""
    _nth(target, n)
    entries = _entries(target)
    del entries[n - 1]
    await _save(s, ctx, target, entries, "lore removed")
    return Reply(text=f"Removed lore #{n} from {target.display_name}.", ephemeral=True)


@command(
    "lore",
    "import",
    help="Add the entries of a lorebook file (world info JSON, or a card's character_book)",
    params=(
        Param("file", "a lorebook JSON file", type="file", required=True, positional=True),
        PERSONA,
    ),
    target=TARGET,
)
async def lore_import(
    s: Services, ctx: Context, file: Attachment | None, persona: str | None, target: Persona
) -> Reply:
    """The file's entries are added after the persona's own."""
    if file is None or not file.data:
        raise BadInput("attach a lorebook JSON file to /lore import")
    limits = s.personas.card_limits()
    if len(file.data) > limits.file_bytes:
        raise BadInput(f"the lorebook file is over {limits.file_bytes // 1_048_576} MB")
    try:
        found = json.loads(file.data.decode("utf-8-sig"))
        added = from_world_info(found if isinstance(found, dict) else {})
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError) as exc:
        raise BadInput(f"that is not a lorebook JSON file ({str(exc).splitlines()[0]})") from None
    await _save(s, ctx, target, [*_entries(target), *added], "lore imported")
    return Reply(
        text=f"Added {len(added)} lorebook entries to {target.display_name}.", ephemeral=True
    )


@command(
    "lore",
    "export",
    help="Download a persona's lorebook as JSON",
    params=(PERSONA,),
    target=TARGET,
)
async def lore_export(s: Services, ctx: Context, persona: str | None, target: Persona) -> Reply:
    """The book as a card's character_book (what /lore import and card tools read)."""
    body = json.dumps(_book(target, _entries(target)), ensure_ascii=False, indent=2).encode()
    name = f"{target.name}-lorebook.json"
    return Reply(
        text=f"{target.display_name}'s lorebook: {name}",
        attachments=(Attachment(name, "application/json", body),),
        ephemeral=True,
    )
