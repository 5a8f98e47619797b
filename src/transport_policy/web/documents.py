"""The documents of a decision as the pages offer them: the letter to the person shown on the
decision page, and the letter and support-plan section as files (HTML, PDF, Word), made by the
same renderer as ``transport-policy render``: from the case as it stands, or, when the decision
was logged, from its log entry as ``render --seq`` makes them."""

from __future__ import annotations

from dataclasses import dataclass

from ..documents import Audience, Context, Document, build, render
from ..model.decision import Decision


@dataclass(frozen=True)
class DocumentFile:
    """One download: which document, in which format, as what kind of file."""

    audience: Audience
    fmt: str
    media: str
    suffix: str


DOCUMENT_FILES: dict[str, DocumentFile] = {
    "letter-pdf": DocumentFile("letter", "pdf", "application/pdf", "-letter.pdf"),
    "letter-docx": DocumentFile(
        "letter",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "-letter.docx",
    ),
    "letter-html": DocumentFile("letter", "html", "text/html; charset=utf-8", "-letter.html"),
    "plan-pdf": DocumentFile("support-plan", "pdf", "application/pdf", "-support-plan.pdf"),
    "plan-docx": DocumentFile(
        "support-plan",
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "-support-plan.docx",
    ),
    "plan-html": DocumentFile(
        "support-plan", "html", "text/html; charset=utf-8", "-support-plan.html"
    ),
}
"""The document downloads, by the value of the button that asks for one."""


def letter(decision: Decision, context: Context) -> Document:
    """The letter to the person about ``decision``, to show on the decision page."""
    return build(decision, "letter", context)


def document_bytes(decision: Decision, context: Context, file: DocumentFile) -> bytes:
    """``file``'s document about ``decision``, as the bytes of the file."""
    body = render(decision, file.fmt, audience=file.audience, context=context)
    return body.encode("utf-8") if isinstance(body, str) else body


__all__ = ["DOCUMENT_FILES", "DocumentFile", "document_bytes", "letter"]
