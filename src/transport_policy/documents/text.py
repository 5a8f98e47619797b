"""Plain text and Markdown renderings of a :class:`~.model.Document`.

Text is for a terminal and for anywhere plain text is pasted: no markup, wrapped to the terminal's
width (or a width given), and a long word — a web address, a digest, a file name — is never split
across lines. Markdown is for Markdown readers (``##`` headings, lists, emphasis); a word
processor wants the DOCX instead. Both hold the same content in the same order.
"""

from __future__ import annotations

import shutil
import textwrap

from .model import KEEP, Document, Item, clean

DEFAULT_WIDTH = 88
"""The width when the output is not a terminal (a file, a pipe) and ``COLUMNS`` is not set."""

MIN_WIDTH = 20


def terminal_width() -> int:
    """The terminal's width in columns (``COLUMNS`` when set), else :data:`DEFAULT_WIDTH`."""
    return max(MIN_WIDTH, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def _wrap(text: str, width: int, first: str = "", rest: str | None = None) -> list[str]:
    room = width - max(len(first), len(first if rest is None else rest))
    if KEEP in text:  # a fact is kept on one line only when it fits on one
        text = " ".join(
            word.replace(KEEP, " ") if len(word) > room else word for word in text.split(" ")
        )
    lines = textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=first if rest is None else rest,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(KEEP, " ") for line in lines] or [first.rstrip()]


def _item(item: Item, bullet: str, width: int, indent: str = "") -> list[str]:
    text = item.text + (f" [{item.clause}]" if item.clause else "")
    pad = indent + " " * len(bullet)
    out = _wrap(text, width, indent + bullet, pad)
    for detail in item.details:
        out += _wrap(detail, width, pad + "  ", pad + "    ")
    return out


def _rows(rows: tuple[tuple[str, str], ...], width: int) -> list[str]:
    """Label and value rows, the values aligned; on a narrow terminal each value goes under its
    label."""
    column = max(len(label) for label, _ in rows) + 2
    out: list[str] = []
    for label, value in rows:
        if width - column >= 24:
            out += _wrap(value, width, f"{label}:".ljust(column), " " * column)
        else:
            out += [f"{label}:", *_wrap(value, width, "  ")]
    return out


def _heading(title: str, width: int) -> list[str]:
    lines = _wrap(title, width)
    return ["", *lines, "-" * max(len(line) for line in lines)]


def render_text(document: Document, *, width: int | None = None) -> str:
    """``document`` as plain text, wrapped to ``width`` columns (default: the terminal's)."""
    width = max(MIN_WIDTH, width or terminal_width())
    out = _wrap(document.title, width, "", "  ")
    for line in document.lead:
        out += _wrap(line, width, "", "  ")
    out += ["", *_rows(document.summary, width)]
    for warning in document.warnings:
        out += ["", *_wrap(f"WARNING: {warning}", width, "", "         ")]
    for section in document.sections:
        out += _heading(section.title, width)
        for n, item in enumerate(section.items, 1):
            out += _item(item, f"{n}. " if section.numbered else "- ", width)
        for title, items in section.groups:
            out += _wrap(f"{title}:", width)
            for item in items:
                out += _item(item, "- ", width, "  ")
        for para in section.paragraph.splitlines():
            out += _wrap(para, width, "  ") if para.strip() else [""]
    out += [*_heading(document.receipt_title, width), *_rows(document.receipt, width)]
    return "\n".join(out)


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>"})


def _md(text: str) -> str:
    """Escape text so Markdown shows it as written."""
    escaped = clean(text.replace(KEEP, " ")).translate(_MD_SPECIAL)
    return "\\" + escaped if escaped[:1] in ("#", "-", "+", "=", "|") else escaped


def _md_item(item: Item, bullet: str) -> str:
    text = _md(item.text) + (f" [`{item.clause}`]" if item.clause else "")
    pad = " " * len(bullet)
    lines = [bullet + text, *(f"{pad}{_md(detail)}" for detail in item.details)]
    return "  \n".join(lines)


def _md_value(value: str) -> str:
    return f"`{value}`" if value.startswith("sha256:") else _md(value)


def render_markdown(document: Document) -> str:
    """``document`` as Markdown (for Markdown readers; Word users want the DOCX)."""
    out = [f"## {_md(document.title)}"]
    if document.lead:
        out += ["", "  \n".join(_md(line) for line in document.lead)]
    out += ["", *(f"- **{label}:** {_md_value(v)}" for label, v in document.summary)]
    for warning in document.warnings:
        out += ["", f"> **Warning:** {_md(warning)}"]
    for section in document.sections:
        out += ["", f"### {section.title}", ""]
        for n, item in enumerate(section.items, 1):
            out.append(_md_item(item, f"{n}. " if section.numbered else "- "))
        for i, (title, items) in enumerate(section.groups):
            out += [*([""] if i else []), f"**{title}**", ""]
            out += [_md_item(item, "- ") for item in items]
        if section.paragraph:
            out += [
                f"> {_md(line)}" if line.strip() else ">" for line in section.paragraph.splitlines()
            ]
    out += ["", f"### {document.receipt_title}", ""]
    out += [f"- **{label}:** {_md_value(v)}" for label, v in document.receipt]
    return "\n".join(out)


__all__ = ["DEFAULT_WIDTH", "render_markdown", "render_text", "terminal_width"]
