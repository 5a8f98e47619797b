"""docs/architecture.md names every module of the package, and names none that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "transport_policy"
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _table_modules() -> set[str]:
    table = DOC[DOC.index("| module | does |") :]
    table = table[: table.index("\n\n")]
    return set(re.findall(r"`([a-z_]+(?:/[a-z_]+)*\.py)`", table))


def test_every_module_of_the_package_is_in_the_architecture_table() -> None:
    modules = {
        p.relative_to(PACKAGE).as_posix()
        for p in PACKAGE.rglob("*.py")
        if p.name != "__init__.py" or p.parent.name in ("engine", "cli")
    }
    missing = sorted(modules - _table_modules())
    assert missing == [], f"docs/architecture.md does not name {missing}"


def test_every_module_the_architecture_table_names_exists() -> None:
    absent = sorted(m for m in _table_modules() if not (PACKAGE / m).is_file())
    assert absent == [], f"docs/architecture.md names modules that do not exist: {absent}"
