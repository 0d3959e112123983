"""/knowledge: a persona's documents — add, list, show, search, remove, reindex."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands.spec import Param, Target, command
from bot.errors import BadInput
from bot.messages import Attachment, ProgressSink, Reply
from personas.model import Persona

if TYPE_CHECKING:
    from bot.context import Context
    from bot.documents import KnowledgeDocs
    from bot.services import Services

PERSONA = Param("persona", "whose documents (default: the active persona)", type="persona")
DOC = Param(
    "doc", "the document's name, as /knowledge list shows it", required=True, positional=True
)
CHANGE = Target(
    "persona",
    "change",
    default_active=True,
    doing="change its documents",
    presets="change the documents of presets",
)
READ = Target(
    "persona",
    "change",
    default_active=True,
    doing="see its documents",
    presets="see the documents of presets",
)
SHOWN = 600  # characters of a chunk /knowledge search shows


def _docs(s: Services) -> KnowledgeDocs:
    if s.documents is None or not s.settings.knowledge.enabled:
        raise BadInput("knowledge documents are turned off here (knowledge.enabled)")
    return s.documents


def _size(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 1_048_576 else f"{max(1, n // 1024)} KB"


@command(
    "knowledge",
    "add",
    help="Add a document to a persona: PDF, DOCX, HTML, Markdown or text (owner; presets: admins)",
    params=(
        Param(
            "file", "a document (PDF, DOCX, HTML, Markdown or text)", type="file", required=True
        ),
        PERSONA,
    ),
    target=CHANGE,
    progress=True,
)
async def knowledge_add(
    s: Services,
    ctx: Context,
    file: Attachment | None,
    persona: str | None,
    target: Persona,
    progress: ProgressSink,
) -> Reply:
    """Index the file for the persona (the same content twice is indexed once)."""
    if file is None:
        raise BadInput("attach a document to /knowledge add")
    added = await _docs(s).add(target.id, ctx.user_id, file.filename, file.data, progress)
    doc = added.document
    if added.unchanged:
        text = f"{target.display_name} already has this document as {doc.name}: nothing changed."
    else:
        verb = "Replaced" if added.replaced else "Added"
        text = (
            f"{verb} {doc.name} for {target.display_name}: {doc.kind}, {doc.pages} page"
            f"{'s' if doc.pages != 1 else ''}, {doc.chunks} chunks."
        )
    return Reply(text=text, ephemeral=True)


@command(
    "knowledge",
    "list",
    help="A persona's documents (owner; presets: admins)",
    params=(PERSONA,),
    target=READ,
)
async def knowledge_list(s: Services, ctx: Context, persona: str | None, target: Persona) -> Reply:
    """Every document with its size and chunks."""
    docs = await _docs(s).documents(target.id)
    if not docs:
        return Reply(text=f"{target.display_name} has no documents.", ephemeral=True)
    lines = [f"{target.display_name}'s documents ({len(docs)}):"]
    lines += [
        f"• {d.name} — {d.kind}, {_size(d.size)}, {d.pages} p., {d.chunks} chunks" for d in docs
    ]
    return Reply(text="\n".join(lines), ephemeral=True)


@command(
    "knowledge",
    "show",
    help="One document: what it is and how it was indexed (owner; presets: admins)",
    params=(DOC, PERSONA),
    target=READ,
)
async def knowledge_show(
    s: Services, ctx: Context, doc: str, persona: str | None, target: Persona
) -> Reply:
    """A document's kind, size, pages, chunks, hash and dates."""
    d = await _docs(s).get(target.id, doc)
    text = (
        f"{d.name} ({target.display_name})\nkind: {d.kind}\nsize: {_size(d.size)} "
        f"({d.size:,} bytes)\npages: {d.pages}\nchunks: {d.chunks}\nsha256: {d.sha256}\n"
        f"added: {d.created_at:%Y-%m-%d %H:%M}\nupdated: {d.updated_at:%Y-%m-%d %H:%M}"
    )
    return Reply(text=text, ephemeral=True)


@command(
    "knowledge",
    "search",
    help="Search a persona's documents (anyone who may talk to it)",
    params=(
        Param(
            "query",
            "what to look for (in quotes when it is several words)",
            required=True,
            positional=True,
        ),
        PERSONA,
    ),
)
async def knowledge_search(s: Services, ctx: Context, query: str, persona: str | None) -> Reply:
    """The best passages with their sources."""
    docs = _docs(s)
    # Anyone who may talk to the persona may search it: resolved as a turn would be.
    target = await s.personas.find(ctx, persona) if persona else await s.personas.active(ctx)
    hits = await docs.search(target.id, query, 5)
    if not hits:
        return Reply(text=f"Nothing in {target.display_name}'s documents matches that.")
    parts = [f"{target.display_name}'s documents on “{query}”:"]
    for h in hits:
        body = " ".join(h.chunk.text.split())
        clip = body if len(body) <= SHOWN else body[: SHOWN - 1] + "…"
        parts.append(f"[{h.chunk.source}] {clip}")
    return Reply(text="\n\n".join(parts), ephemeral=True)


@command(
    "knowledge",
    "remove",
    help="Remove a document and its index (owner; presets: admins)",
    params=(DOC, PERSONA),
    target=CHANGE,
    confirm="Remove {doc} from {target.display_name}'s documents?",
)
async def knowledge_remove(
    s: Services, ctx: Context, doc: str, persona: str | None, target: Persona
) -> Reply:
    """Delete the document and its chunks."""
    gone = await _docs(s).remove(target.id, doc)
    return Reply(text=f"Removed {gone.name} from {target.display_name}.", ephemeral=True)


@command(
    "knowledge",
    "reindex",
    help="Chunk and embed a persona's documents again (owner; presets: admins)",
    params=(PERSONA,),
    target=CHANGE,
    progress=True,
)
async def knowledge_reindex(
    s: Services, ctx: Context, persona: str | None, target: Persona, progress: ProgressSink
) -> Reply:
    """Rebuild the persona's chunks from the documents' stored text."""
    chunks = await _docs(s).reindex(target.id, progress)
    return Reply(
        text=f"Re-indexed {target.display_name}'s documents: {chunks} chunks.", ephemeral=True
    )
