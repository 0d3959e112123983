"""Small real documents built in the test (never third-party files): PDF, DOCX, HTML, Markdown."""

from __future__ import annotations

import io
import zipfile


def pdf(pages: list[str]) -> bytes:
    """A PDF 1.4 file with one page per text, each line drawn in Helvetica (readable by any
    PDF reader, and by pypdf's text extraction)."""
    objects: list[bytes] = []
    kids = []
    font_id = 3 + 2 * len(pages)
    for n, text in enumerate(pages):
        page_id, content_id = 3 + 2 * n, 4 + 2 * n
        kids.append(f"{page_id} 0 R")
        lines = []
        for i, line in enumerate(text.splitlines()):
            safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            lines.append(f"BT /F1 11 Tf 50 {780 - 14 * i} Td ({safe}) Tj ET")
        stream = "\n".join(lines).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_id} 0 R"
            f" /Resources << /Font << /F1 {font_id} 0 R >> >> >>".encode()
        )
        objects.append(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
    body = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>".encode(),
        *objects,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(body, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(body) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(body) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def encrypted_pdf(pages: list[str], password: str = "secret") -> bytes:
    """The same PDF locked with a user password (pypdf's own writer)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf(pages))))
    writer.encrypt(user_password=password, owner_password=password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def docx(paragraphs: list[tuple[str, str]]) -> bytes:
    """A Word document: (style, text) pairs, style "" for body text or e.g. "Heading 1"."""
    import docx as python_docx

    document = python_docx.Document()
    for style, text in paragraphs:
        if style:
            document.add_paragraph(text, style=style)
        else:
            document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def zip_bomb_docx(unpacked: int = 4 * 1024 * 1024) -> bytes:
    """A file named like a DOCX whose document part is megabytes of one repeated byte."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\x20" * unpacked)
    return out.getvalue()


def plain_zip() -> bytes:
    """A zip archive with a text file in it: no Word document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("notes.txt", "hello")
    return out.getvalue()


def html(body: str, script: str = "") -> bytes:
    """An HTML page with `body` and an optional inline script."""
    return (
        "<!DOCTYPE html><html><head><title>t</title>"
        f"<style>p {{ color: red }}</style></head><body>{body}"
        f"<script>{script}</script></body></html>"
    ).encode()
