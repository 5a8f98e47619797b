"""The DOCX rendering of a :class:`~.model.Document`, for case systems and people that use Word.

Written with python-docx using Word's own structure, so it pastes and reads as a document
rather than as markup: the title is Heading 1, sections Heading 2 and groups Heading 3; entries are
List Bullet (or List Number) paragraphs with their details as List Bullet 2; the case and the
receipt are tables. The document's title and language are set in its properties. Needs the
``documents`` extra.
"""

from __future__ import annotations

import io
from typing import Any

from ..errors import extra_missing
from .model import KEEP, Document, Item, Section

CLAUSE_GREY = (0x50, 0x5A, 0x5F)


def _docx() -> Any:
    try:
        import docx
    except ImportError:
        raise extra_missing("docx") from None
    return docx


def _table(doc: Any, caption: str, rows: tuple[tuple[str, str], ...]) -> None:
    if caption:
        doc.add_paragraph(caption, style="Caption")
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(label).bold = True
        cells[1].paragraphs[0].add_run(value)


def _entry(doc: Any, item: Item, style: str, rgb: Any) -> None:
    paragraph = doc.add_paragraph(item.text.replace(KEEP, " "), style=style)
    if item.clause:
        run = paragraph.add_run(f" [{item.clause}]")
        run.font.color.rgb = rgb
    for detail in item.details:
        doc.add_paragraph(detail.replace(KEEP, " "), style="List Bullet 2")


def _section(doc: Any, section: Section, rgb: Any) -> None:
    doc.add_heading(section.title, level=2)
    style = "List Number" if section.numbered else "List Bullet"
    for item in section.items:
        _entry(doc, item, style, rgb)
    for title, items in section.groups:
        doc.add_heading(title, level=3)
        for item in items:
            _entry(doc, item, "List Bullet", rgb)
    for line in section.paragraph.splitlines():
        doc.add_paragraph(line, style="Quote")


def render_docx(document: Document) -> bytes:
    """``document`` as a Word (DOCX) file."""
    docx = _docx()
    rgb = docx.shared.RGBColor(*CLAUSE_GREY)
    doc = docx.Document()
    doc.core_properties.title = f"{document.title} (case {document.case_id})"
    doc.core_properties.language = "en-GB"
    doc.add_heading(document.title, level=1)
    for line in document.lead:
        doc.add_paragraph(line)
    _table(doc, document.summary_title, document.summary)
    for warning in document.warnings:
        paragraph = doc.add_paragraph()
        paragraph.add_run("Warning: ").bold = True
        paragraph.add_run(warning)
    for section in document.sections:
        _section(doc, section, rgb)
    doc.add_heading(document.receipt_title, level=2)
    _table(doc, "", document.receipt)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


__all__ = ["render_docx"]
