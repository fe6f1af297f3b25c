"""The document toolkit every paper shares: DOCX building blocks (python-docx), the CJK fonts,
the conversion to PDF by LibreOffice, and Chinese dates.

Fonts are found by file path among the fonts the machine has (Debian's fonts-noto-cjk), never
fetched: a DOCX names the font family (Word and LibreOffice then use their own), matplotlib loads
the file itself. PDF comes from LibreOffice headless; where it is not installed the PDF downloads
answer PDF_UNAVAILABLE (503) and the DOCX still works.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from server.errors import DomainError

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

SERIF = "Noto Serif CJK SC"  # body text: the nearest installed face to the 仿宋 of official letters
SANS = "Noto Sans CJK SC"  # titles and tables
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
CONVERT_SECONDS = 120


class PdfUnavailable(DomainError):
    """The PDF cannot be made here (LibreOffice is not installed, or it failed)."""

    code = "PDF_UNAVAILABLE"


def chinese_date(day: date | datetime) -> str:
    """2020年4月10日: the date form of official letters (GB/T 9704 writes it in Arabic numerals)."""
    return f"{day.year}年{day.month}月{day.day}日"


def cjk_font_file() -> str | None:
    """The installed Noto Sans CJK file, for charts; None when the machine has none."""
    return next((path for path in FONT_FILES if Path(path).is_file()), None)


def new_document() -> DocumentObject:
    """An A4 document whose default text is CJK-capable (the east-Asian font set on the style)."""
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Pt(842), Pt(595)
    style = document.styles["Normal"]
    style.font.name = SERIF
    style.font.size = Pt(12)
    style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), SERIF)
    return document


def paragraph(
    document: DocumentObject,
    text: str,
    *,
    size: float = 12,
    bold: bool = False,
    font: str = SERIF,
    align: str = "left",
    indent: bool = False,
) -> Paragraph:
    """One paragraph in one run; `indent` gives the two-character first-line indent of Chinese prose."""
    para = document.add_paragraph()
    para.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
    }[align]
    if indent:
        para.paragraph_format.first_line_indent = Pt(size * 2)
    run = para.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)
    run.font.name = font
    run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    return para


def table(document: DocumentObject, header: list[str], rows: Sequence[Sequence[object]]) -> Table:
    """A grid table with a bold header row; None shows as a dash."""
    grid = document.add_table(rows=1, cols=len(header))
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, header, strict=True):
        cell.text = ""
        run = cell.paragraphs[0].add_run(text)
        run.bold = True
        run.font.name = SANS
        run.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), SANS)
    for row in rows:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = "—" if value is None else str(value)
    return grid


def docx_bytes(document: DocumentObject, *, title: str, author: str, when: datetime) -> bytes:
    """The document's bytes, its properties set from the data (not from the clock of the run)."""
    props = document.core_properties
    props.title, props.author, props.last_modified_by = title, author, author
    props.created = props.modified = when.replace(tzinfo=None)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def soffice() -> str | None:
    """LibreOffice's command, when installed (Debian: libreoffice-writer-nogui)."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def _convert(command: str, data: bytes) -> bytes:
    with tempfile.TemporaryDirectory(prefix="lianxin-pdf-") as work:
        source = Path(work) / "document.docx"
        source.write_bytes(data)
        # A profile of its own per conversion: two conversions at once must not share one.
        profile = Path(work, "profile").as_uri()
        try:
            subprocess.run(  # noqa: S603 - fixed arguments; the document is a file, never a shell word
                [
                    command,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--norestore",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    work,
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=CONVERT_SECONDS,
            )
        except (subprocess.SubprocessError, OSError) as exc:
            raise PdfUnavailable(
                f"LibreOffice could not convert the document to PDF ({type(exc).__name__})."
            ) from None
        target = Path(work) / "document.pdf"
        if not target.is_file():
            raise PdfUnavailable("LibreOffice did not produce a PDF.")
        return target.read_bytes()


async def docx_to_pdf(data: bytes) -> bytes:
    """The PDF of a DOCX, by LibreOffice headless off the event loop; PdfUnavailable without it."""
    command = soffice()
    if command is None:
        raise PdfUnavailable(
            "PDF needs LibreOffice (Debian: libreoffice-writer-nogui), which is not installed on this "
            "server; download the DOCX instead."
        )
    return await asyncio.to_thread(_convert, command, data)
