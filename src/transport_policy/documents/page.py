"""HTML and PDF renderings of a :class:`~.model.Document`: one template for both.

The page (``templates/document.html``, Jinja2 with autoescaping) is an accessible HTML document:
a language, one ``h1`` and ``h2``/``h3`` headings in order, a ``main`` landmark, sections labelled
by their headings, tables with row headers and a caption, and print CSS (A4, page numbers, no
breaks inside an entry). The PDF is WeasyPrint's rendering of that same page, tagged. Both need
the ``documents`` extra; without it they raise a
:class:`~transport_policy.errors.DocumentError` naming the extra to install.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from ..errors import DocumentError, extra_missing
from .model import Document


@cache
def _template() -> Any:
    try:
        import jinja2
    except ImportError:
        raise extra_missing("html") from None
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("transport_policy.documents", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("document.html")


def render_html(document: Document) -> str:
    """``document`` as an accessible HTML page (UTF-8 text)."""
    html: str = _template().render(doc=document)
    return html


def render_pdf(document: Document) -> bytes:
    """``document`` as a tagged PDF: WeasyPrint's rendering of :func:`render_html`'s page."""
    html = render_html(document)
    try:
        import weasyprint
    except ImportError:
        raise extra_missing("pdf") from None
    except OSError as exc:  # WeasyPrint loads Pango when imported
        raise DocumentError(
            "pdf output needs WeasyPrint's system libraries (Pango); on Debian or Ubuntu: "
            f"apt-get install libpango-1.0-0 libpangoft2-1.0-0 ({exc})"
        ) from None
    pdf: bytes = weasyprint.HTML(string=html).write_pdf(pdf_tags=True)
    return pdf


__all__ = ["render_html", "render_pdf"]
