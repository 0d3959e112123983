"""Knowledge documents: what a file is (judged by its bytes, never its name) and its text.

PDF (pypdf, page by page), DOCX (python-docx, after a zip-bomb check), HTML (selectolax, text
only: scripts, styles and embedded frames dropped), Markdown (markdown-it-py, sections by
heading) and plain text. Each refusal is one line naming what is wrong; nothing here stores.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from personas.errors import BadInput

KINDS = ("pdf", "docx", "html", "markdown", "text")
# A DOCX is a zip: its parts may unpack to this many times the file, and to no more than
# `unpacked_bytes` in all (a zip bomb renamed .docx unpacks to gigabytes).
ZIP_RATIO = 100
_HTML = re.compile(r"^\s*(?:<!doctype html|<html|<head|<body)", re.IGNORECASE)
_TAGS = re.compile(r"<(?:p|div|span|h[1-6]|table|ul|li|a|br)\b[^>]*>", re.IGNORECASE)
_MARKDOWN = re.compile(r"^(?:#{1,6} \S|```|[-*] \S|\d+\. \S|> \S)|\[[^\]]+\]\([^)]+\)", re.M)
_DROP = ["script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "head"]


@dataclass(frozen=True)
class Limits:
    """What a document may be (config `knowledge`)."""

    file_bytes: int = 20 * 1024 * 1024
    pages: int = 1000
    kinds: tuple[str, ...] = KINDS
    unpacked_bytes: int = 200 * 1024 * 1024


@dataclass(frozen=True)
class Section:
    """A stretch of a document's text and where it is: "p.12", a heading, or ""."""

    text: str
    where: str = ""


@dataclass(frozen=True)
class Parsed:
    """A document's kind, its sections in order and its page count (1 unless a PDF)."""

    kind: str
    sections: tuple[Section, ...]
    pages: int = 1

    @property
    def chars(self) -> int:
        """Characters of text in all."""
        return sum(len(s.text) for s in self.sections)


def size_text(n: int) -> str:
    """Bytes as people say them: "20 MB", "512 KB"."""
    return f"{n / 1_048_576:g} MB" if n >= 1_048_576 else f"{n / 1024:g} KB"


def kind_of(data: bytes) -> str:
    """The document kind these bytes are, or BadInput naming what they are not."""
    if not data:
        raise BadInput("the file is empty")
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "docx"  # checked as a Word document when read
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(
            "that file is not text, Markdown, HTML, PDF or DOCX (it is not UTF-8 text either)"
        ) from None
    if "\x00" in text:
        raise BadInput("that file is binary, not text, Markdown, HTML, PDF or DOCX")
    if _HTML.search(text[:2048]) or len(_TAGS.findall(text[:20_000])) >= 3:
        return "html"
    return "markdown" if _MARKDOWN.search(text) else "text"


def survey(data: bytes, limits: Limits) -> tuple[str, int]:
    """Check a document before reading it: its kind and how many pages it has (1 unless a
    PDF), or BadInput naming what is wrong (size, kind, encryption, damage, page count)."""
    if len(data) > limits.file_bytes:
        raise BadInput(f"the file is over the {size_text(limits.file_bytes)} limit")
    kind = kind_of(data)
    if kind not in limits.kinds:
        raise BadInput(f"{kind} files are not allowed here (allowed: {', '.join(limits.kinds)})")
    if kind == "docx":
        _unzipped(data, limits)
    if kind != "pdf":
        return kind, 1
    total = len(_pdf_reader(data).pages)
    if total > limits.pages:
        raise BadInput(f"that PDF has {total} pages; the limit is {limits.pages}")
    return kind, total


def read(data: bytes, limits: Limits, first: int = 0, last: int | None = None) -> Parsed:
    """The text of a surveyed document: a PDF's pages [first, last) (blocking and slow: run it
    away from the event loop), or all of any other kind."""
    kind = kind_of(data)
    if kind == "pdf":
        reader = _pdf_reader(data)
        total = len(reader.pages)
        sections = []
        for number in range(first + 1, min(total if last is None else last, total) + 1):
            try:
                text = reader.pages[number - 1].extract_text() or ""
            except Exception:
                raise BadInput(f"page {number} of that PDF could not be read (damaged?)") from None
            sections.append(Section(text, f"p.{number}"))
        return Parsed("pdf", tuple(sections), total)
    if kind == "docx":
        return _docx(data, limits)
    text = data.decode("utf-8-sig")
    return Parsed(kind, {"html": _html, "markdown": _markdown}.get(kind, _text)(text))


def kept(found: Parsed) -> Parsed:
    """The document without its empty sections, or BadInput when no text is left."""
    sections = tuple(s for s in found.sections if s.text.strip())
    if not sections:
        hint = " (a scanned PDF needs text recognition first)" if found.kind == "pdf" else ""
        raise BadInput(f"there is no text in that {found.kind} file{hint}")
    return Parsed(found.kind, sections, found.pages)


def _pdf_reader(data: bytes) -> Any:
    from pypdf import PdfReader

    locked = BadInput("that PDF is encrypted: save it without a password and try again")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise locked
        len(reader.pages)  # a damaged page tree fails here, not half-way
    except BadInput:
        raise
    except Exception as exc:  # pypdf raises many kinds for damaged or protected files
        if "encrypt" in str(exc).lower() or "crypt" in type(exc).__name__.lower():
            raise locked from None
        raise BadInput("that PDF could not be read (it looks damaged)") from None
    return reader


def _unzipped(data: bytes, limits: Limits) -> None:
    """A DOCX's zip must hold a Word document and unpack to a sane size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.infolist()
            names = {m.filename for m in members}
            unpacked = sum(m.file_size for m in members)
            squeezed = any(m.file_size > ZIP_RATIO * max(m.compress_size, 1) for m in members)
    except zipfile.BadZipFile:
        raise BadInput("that file looks like a zip archive but could not be opened") from None
    if "word/document.xml" not in names:
        raise BadInput("that zip file is not a Word document (DOCX)")
    if unpacked > limits.unpacked_bytes or squeezed:
        raise BadInput("that DOCX unpacks to far more than its size (a zip bomb?): refused")


def _docx(data: bytes, limits: Limits) -> Parsed:
    _unzipped(data, limits)
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:
        raise BadInput("that DOCX could not be read (it looks damaged)") from None
    sections: list[Section] = []
    heading, lines = "", list[str]()
    for paragraph in document.paragraphs:
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.lower().startswith(("heading", "title")) and paragraph.text.strip():
            sections.append(Section("\n".join(lines), heading))
            heading, lines = paragraph.text.strip(), []
        lines.append(paragraph.text)
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text for cell in row.cells))
    sections.append(Section("\n".join(lines), heading))
    return Parsed("docx", tuple(sections))


def _html(text: str) -> tuple[Section, ...]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(text)
    tree.strip_tags(_DROP)  # the text only: no script or style survives
    root = tree.body or tree.root
    body = root.text(separator="\n") if root is not None else ""
    return (Section(_tidy(body)),)


def _markdown(text: str) -> tuple[Section, ...]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(text)
    sections: list[Section] = []
    heading, parts = "", list[str]()
    for i, token in enumerate(tokens):
        if token.type == "heading_open":
            sections.append(Section("\n".join(parts), heading))
            heading, parts = tokens[i + 1].content.strip(), []
        elif token.type == "inline":
            parts.append(token.content)  # the heading's own text starts its section
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
    sections.append(Section("\n".join(parts), heading))
    return tuple(sections)


def _text(text: str) -> tuple[Section, ...]:
    return (Section(text),)


def _tidy(text: str) -> str:
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


_splitters: dict[tuple[str, int, int], Any] = {}


def chunk(
    sections: tuple[Section, ...], tokenizer: str, capacity: int, overlap: int
) -> list[tuple[str, str]]:
    """Each section cut into pieces of at most `capacity` tokens of `tokenizer` (a
    tokenizer.json: the embedding model's own), each sharing `overlap` tokens with the one
    before: (where, text) pairs in order."""
    key = (tokenizer, capacity, overlap)
    splitter = _splitters.get(key)
    if splitter is None:
        from semantic_text_splitter import TextSplitter
        from tokenizers import Tokenizer

        counted = Tokenizer.from_file(tokenizer)
        counted.no_truncation()  # chunk sizes must count the whole text
        splitter = _splitters[key] = TextSplitter.from_huggingface_tokenizer(
            counted, capacity=capacity, overlap=overlap
        )
    return [(s.where, piece) for s in sections for piece in splitter.chunks(s.text)]


def limit_memory(max_bytes: int) -> None:
    """In a reader process: a file that unpacks past `max_bytes` fails that process alone."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))
