"""docs/architecture.md names every module of the package, and names none that does not exist."""

from __future__ import annotations

import ast
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


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _sizes() -> tuple[list[str], list[str]]:
    """Modules over :data:`MAX_MODULE_LINES` and functions or methods over
    :data:`MAX_FUNCTION_LINES` (decorators not counted), each with its size."""
    modules: list[str] = []
    functions: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > MAX_MODULE_LINES:
            modules.append(f"{name} ({lines} lines)")
        for node in ast.walk(ast.parse(text, filename=name)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                size = node.end_lineno - node.lineno + 1
                if size > MAX_FUNCTION_LINES:
                    functions.append(f"{name}:{node.lineno} {node.name} ({size} lines)")
    return modules, functions


def test_no_module_or_function_of_the_package_is_too_long() -> None:
    modules, functions = _sizes()
    assert (modules, functions) == ([], []), (
        f"modules over {MAX_MODULE_LINES} lines: {modules or 'none'}; "
        f"functions over {MAX_FUNCTION_LINES} lines: {functions or 'none'}"
    )
