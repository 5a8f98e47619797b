"""Documents people read: a decision as the assessor's support-plan section or the person's letter,
as text, Markdown, HTML, PDF or DOCX.

A decision becomes one :class:`~.model.Document` per audience (:mod:`.plan`, :mod:`.letter`),
and every format renders that same document (:mod:`.text`, :mod:`.page`, :mod:`.word`), so the
formats hold the same facts. Text and Markdown need nothing beyond the core install; HTML, PDF
and DOCX need the ``documents`` extra, and are imported only when asked for.

>>> from transport_policy.documents import render                       # doctest: +SKIP
>>> render(decision, "pdf", audience="letter")                          # doctest: +SKIP
"""

from __future__ import annotations

from ..model.decision import Decision
from .context import CaseFacts, Context, Journey, LogPosition, case_context, case_facts
from .letter import letter
from .model import AUDIENCES, Audience, Document
from .plan import support_plan
from .text import render_markdown, render_text

FORMATS = ("text", "markdown", "html", "pdf", "docx")
BINARY_FORMATS = frozenset({"pdf", "docx"})
"""Formats written as bytes (never to a terminal)."""


def build(
    decision: Decision, audience: Audience = "support-plan", context: Context | None = None
) -> Document:
    """The document ``audience`` reads about ``decision``."""
    if audience == "letter":
        return letter(decision, context)
    return support_plan(decision, context)


def render(
    decision: Decision,
    fmt: str = "text",
    *,
    audience: Audience = "support-plan",
    context: Context | None = None,
    width: int | None = None,
) -> str | bytes:
    """``decision`` as ``fmt`` (one of :data:`FORMATS`) for ``audience``: text for text formats,
    bytes for PDF and DOCX. ``width`` wraps text (default: the terminal's width)."""
    document = build(decision, audience, context)
    if fmt == "text":
        return render_text(document, width=width)
    if fmt == "markdown":
        return render_markdown(document)
    if fmt in ("html", "pdf"):
        from .page import render_html, render_pdf

        return render_html(document) if fmt == "html" else render_pdf(document)
    if fmt == "docx":
        from .word import render_docx

        return render_docx(document)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


__all__ = [
    "AUDIENCES",
    "BINARY_FORMATS",
    "FORMATS",
    "Audience",
    "CaseFacts",
    "Context",
    "Document",
    "Journey",
    "LogPosition",
    "build",
    "case_context",
    "case_facts",
    "render",
]
