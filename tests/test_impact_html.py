"""The HTML impact report in real headless Chromium: no errors, accessible, the CSV's numbers."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from browser import assert_accessible, chromium_browser
from transport_policy.cli.impact import impact_command

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "cases"
DRAFT = ROOT / "docs" / "examples" / "draft-2027"
ARGS = [str(CASES), "--from", "2021-01", "--to", "draft-2027", "--to-rules", str(DRAFT)]
ARGS += ["--by", "destination.purpose"]

# Each HTML table's caption start → how its rows read as CSV rows (breakdown, then the columns).
TABLES = {
    "Outcome transitions, unchanged": ("transition", ("from", "to", "cases", "percent")),
    "Cases whose outcome changes, by": ("group_changed", ("value", "cases", "percent")),
    "Outcome transitions by": ("group", ("value", "from", "to", "cases", "percent")),
    "Reasons gained or lost": (
        "cause",
        ("change", "clause", "rule", "fact", "from", "to", "cases", "percent"),
    ),
}
READ_TABLES = """() => [...document.querySelectorAll('table')].map(t => ({
  caption: t.caption.textContent,
  rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent)),
}))"""


def _expected(
    rows: list[dict[str, str]], breakdown: str, columns: tuple[str, ...], field: str
) -> list[list[str]]:
    return [
        [r[c] or "-" for c in columns]
        for r in rows
        if r["breakdown"] == breakdown
        and (breakdown in ("transition", "cause") or r["field"] == field)
    ]


def test_the_html_report_renders_without_errors_and_its_numbers_equal_the_csv(
    tmp_path: Path,
) -> None:
    page_file, csv_file = tmp_path / "impact.html", tmp_path / "impact.csv"
    runner = CliRunner()
    for fmt, target in (("html", page_file), ("csv", csv_file)):
        result = runner.invoke(impact_command, [*ARGS, "--format", fmt, "--output", str(target)])
        assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(csv_file.open(encoding="utf-8")))
    html = page_file.read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    with chromium_browser() as browser:
        page = browser.new_page()
        problems: list[str] = []
        page.on(
            "console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("requestfailed", lambda r: problems.append(r.url))
        page.goto(page_file.as_uri())
        tables = page.evaluate(READ_TABLES)
        charts = page.locator("figure svg[role=img]")
        labels = [charts.nth(i).get_attribute("aria-label") for i in range(charts.count())]
        assert_accessible(page)
    assert problems == []
    # One chart for the transitions, one per breakdown, one for the causes.
    assert len(labels) == 1 + 3 + 1 and all(labels)
    compared = 0
    for table in tables:
        caption = table["caption"]
        ((breakdown, columns),) = [v for k, v in TABLES.items() if caption.startswith(k)]
        field = caption.rsplit(" by ", 1)[-1].split(",")[0]
        assert table["rows"] == _expected(rows, breakdown, columns, field), caption
        compared += len(table["rows"])
    assert compared == len(rows)  # every CSV count is on the page, and nothing else
