"""The impact report as one HTML page for an Equality Impact Assessment or a committee paper.

One self-contained file: no script, no style sheet or font fetched, charts drawn as static SVG
from Vega-Lite specifications by ``vl-convert`` (no browser involved; the ``report`` extra).
Every number on the page is a count of the CSV report, formatted the same way; each chart has a
table beside it with the same numbers, so nothing is shown only as a picture. Individual cases
are not listed (the JSON report and the partitions hold them).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import IO, Any, Final

from .. import __version__
from ..errors import TransportPolicyError
from .impact_report import percent
from .impact_tables import Count, Report

BAR: Final = "#1f5a96"
TOP_CAUSES: Final = 15
REPORT_EXTRA: Final = "pip install 'transport-policy[report]'"
STYLE: Final = """
body { font-family: system-ui, sans-serif; color: #1b1b1b; background: #fff; margin: 2rem;
       max-width: 80rem; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2.2rem; }
h3 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: 0.8rem 0 1.2rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { border: 1px solid #8a8a8a; padding: 0.2rem 0.6rem; text-align: left;
         font-size: 0.92rem; }
td { white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 0.8rem 0; } figcaption { font-size: 0.95rem; color: #333; }
dl { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
@media print { body { margin: 0; } figure, table { break-inside: avoid; } }
"""


class ReportError(TransportPolicyError):
    """The HTML report cannot be drawn (its chart library is not installed)."""


def chart_library() -> Any:
    """The library that draws the charts (``vl_convert``), or a :class:`ReportError` saying
    how to install it."""
    try:
        import vl_convert
    except ImportError:
        raise ReportError(f"--format html needs vl-convert-python: {REPORT_EXTRA}") from None
    return vl_convert


def _svg(values: list[dict[str, Any]], quantity: str, title: str) -> str:
    """A horizontal bar chart as SVG, labelled for assistive technology."""
    counted = all(isinstance(v["value"], int) for v in values)
    top = max((v["value"] for v in values), default=1)
    axis = {"format": "d", "tickCount": max(1, min(5, int(top)))} if counted else {}
    vl_convert = chart_library()
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": title,
        "data": {"values": values},
        "width": 420,
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": None, "title": None},
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": quantity,
                "axis": axis,
            },
        },
        "layer": [
            {"mark": {"type": "bar", "color": BAR}},
            {
                "mark": {"type": "text", "align": "left", "dx": 3, "color": "#1b1b1b"},
                "encoding": {"text": {"field": "text"}},
            },
        ],
        "config": {"font": "Liberation Sans, Arial, sans-serif", "axis": {"labelLimit": 320}},
    }
    svg: str = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    start = svg.index("<svg") + len("<svg")
    return f'{svg[:start]} role="img" aria-label="{html.escape(title)}"{svg[start:]}'


def _figure(values: list[dict[str, Any]], quantity: str, caption: str) -> str:
    if not values:
        return ""
    chart = _svg(values, quantity, caption)
    return f"<figure>{chart}<figcaption>{html.escape(caption)}</figcaption></figure>"


def _table(caption: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A table; the last two columns are numbers (cases and percent)."""
    numbers = len(header) - 2

    def cell(n: int, value: object, tag: str) -> str:
        attrs = ' class="n"' if n >= numbers else ""
        attrs += ' scope="col"' if tag == "th" else ""
        return f"<{tag}{attrs}>{html.escape(str(value))}</{tag}>"

    head = "".join(cell(n, h, "th") for n, h in enumerate(header))
    body = "".join(
        "<tr>" + "".join(cell(n, v, "td") for n, v in enumerate(row)) + "</tr>" for row in rows
    )
    return (
        f"<table><caption>{html.escape(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _bar(label: str, count: Count) -> dict[str, Any]:
    text = f"{count.cases} ({percent(count.percent)}%)"
    return {"label": label, "value": count.cases, "text": text}


def _transitions(report: Report) -> str:
    counts = report.of_kind("transition")
    changed = [c for c in counts if c.outcome_changed]
    figure = _figure(
        [_bar(f"{c.before} → {c.after}", c) for c in changed],
        "cases",
        "Cases whose outcome changes, by transition (share of all cases decided).",
    )
    rows = [(c.before, c.after, c.cases, percent(c.percent)) for c in counts]
    table = _table(
        "Outcome transitions, unchanged cases included",
        ("from", "to", "cases", "% of cases decided"),
        rows,
    )
    return "<h2>Outcome transitions</h2>" + (figure or "<p>No case changes outcome.</p>") + table


def _group(report: Report, path: str) -> str:
    summary = report.of_kind("group_changed", path)
    figure = _figure(
        [
            {"label": c.value, "value": c.percent, "text": f"{percent(c.percent)}% ({c.cases})"}
            for c in summary
        ],
        "% of the cases with this value whose outcome changes",
        f"Share of cases whose outcome changes, by {path}.",
    )
    changes = _table(
        f"Cases whose outcome changes, by {path}",
        (path, "cases whose outcome changes", "% of the cases with this value"),
        [(c.value, c.cases, percent(c.percent)) for c in summary],
    )
    detail = _table(
        f"Outcome transitions by {path}, unchanged cases included",
        (path, "from", "to", "cases", "% of the cases with this value"),
        [
            (c.value, c.before, c.after, c.cases, percent(c.percent))
            for c in report.of_kind("group", path)
        ],
    )
    return f"<h2>By {html.escape(path)}</h2>{figure}{changes}{detail}"


def _causes(report: Report) -> str:
    counts = report.of_kind("cause")
    if not counts:
        return "<h2>What changed the decisions</h2><p>No decision changed.</p>"
    totals: dict[str, int] = {}
    for c in counts:  # a handful of counts: each cause summed over its transitions
        label = f"{c.change} {c.clause}" + (f" ({c.fact})" if c.fact else "")
        totals[label] = totals.get(label, 0) + c.cases
    top = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_CAUSES]
    figure = _figure(
        [{"label": label, "value": n, "text": str(n)} for label, n in top],
        "cases",
        f"The {len(top)} most frequent causes of change: cases whose decision gained (added) "
        "or lost (removed) a reason, or was asked (asked) or no longer asked (not_asked) a "
        "question, over every transition.",
    )
    table = _table(
        "Reasons gained or lost (with their rule and each fact they cite) and questions newly "
        "asked or no longer asked, by transition",
        ("change", "clause", "rule", "fact", "from", "to", "cases", "% of the transition"),
        [
            (
                c.change,
                c.clause,
                c.rule or "-",
                c.fact or "-",
                c.before,
                c.after,
                c.cases,
                percent(c.percent),
            )
            for c in counts
        ],
    )
    return f"<h2>What changed the decisions</h2>{figure}{table}"


def _heading(report: Report) -> str:
    b, a = report.before, report.after
    facts = [
        (
            "Compared",
            f"{a.version} (in force {a.effective_from.isoformat()}) with {b.version} "
            f"(in force {b.effective_from.isoformat()})",
        ),
        ("Cases decided under both", str(report.cases)),
        ("Outcome changes", str(report.outcome_changes)),
        (
            "Same outcome, different reasons or questions",
            str(report.changed - report.outcome_changes),
        ),
        ("Rejected (not counted)", str(report.rejected)),
        (f"Digest of {b.version}", b.digest),
        (f"Digest of {a.version}", a.digest),
        ("Root of the per-case results", report.root),
    ]
    items = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
    return (
        f"<h1>Impact of {html.escape(a.version)} compared with {html.escape(b.version)}</h1>"
        "<p>Every case was decided under both versions of the policy. Each decision is a "
        "recommendation to an assessor, who may decide otherwise with a recorded reason.</p>"
        f"<dl>{items}</dl>"
    )


def write_html(report: Report, out: IO[str]) -> None:
    title = f"Impact of {report.after.version} compared with {report.before.version}"
    body = _heading(report) + _transitions(report)
    body += "".join(_group(report, path) for path in report.by) + _causes(report)
    out.write(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main><footer><p>Made by transport-policy {__version__}.</p>"
        "</footer></body></html>\n"
    )
