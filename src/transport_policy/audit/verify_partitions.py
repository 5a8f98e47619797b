"""Checking a partition folder (:mod:`.partitions`): every row against its partition's root,
every partition root against the run's root, and that root against one given (another run's).

:func:`verify_partitions` names the first problem: a partition missing, unreadable or changed,
rows out of order, a file the manifest does not list, or a root different from the one expected.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from ..digest import canonical_json
from .merkle import TreeHash, as_text, combine, from_text
from .partitions import MANIFEST, ROOT_KEY, read_manifest, rows


@dataclass(frozen=True)
class PartitionReport:
    """What :func:`verify_partitions` found."""

    directory: str
    kind: str
    rows: int
    """Rows checked (every row when the folder is intact)."""
    partitions: int
    root: str
    """The root the manifest records (equal to the rows' when intact)."""
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


class _Problem(Exception):
    pass


def verify_partitions(directory: str | Path, expected_root: str | None = None) -> PartitionReport:
    """Recompute every root of a partition folder; compare the run's root with ``expected_root``
    when given. A folder with no readable manifest is a :class:`PartitionError`."""
    manifest = read_manifest(directory)
    listed = manifest.get("partitions") or []
    checked = 0

    def report(problem: str | None) -> PartitionReport:
        kind, root = str(manifest.get("kind")), str(manifest.get("root"))
        return PartitionReport(str(directory), kind, checked, len(listed), root, problem)

    try:
        _unlisted(Path(directory), {p["file"] for p in listed})
        roots: list[tuple[int, bytes]] = []
        for part in listed:
            size, root = _check_partition(Path(directory), part, str(manifest["key"]), checked + 1)
            checked += size
            roots.append((size, root))
        total = as_text(combine(int(manifest["partition_rows"]), roots))
        if total != manifest["root"] or checked != manifest["rows"]:
            raise _Problem("the manifest's root or row count does not match its partitions")
        if expected_root is not None and total != expected_root:
            raise _Problem(
                f"the root is {total}, not {expected_root}: the rows differ from that run's"
            )
    except _Problem as problem:
        return report(str(problem))
    except (KeyError, TypeError, ValueError) as exc:
        return report(f"the manifest is not well formed ({type(exc).__name__}: {exc})")
    return report(None)


def _unlisted(directory: Path, listed: set[str]) -> None:
    for entry in sorted(directory.iterdir()):
        if entry.name != MANIFEST and entry.name not in listed:
            raise _Problem(f"{entry.name} is not listed in the manifest")


def _check_partition(
    directory: Path, part: dict[str, object], key: str, first: int
) -> tuple[int, bytes]:
    """Hash one partition's rows; its row count and root, or the problem found."""
    name = str(part["file"])
    path = directory / name
    if not path.is_file():
        raise _Problem(f"partition {name} is missing")
    tree = TreeHash()
    try:
        import pyarrow.parquet as pq

        stored = (pq.ParquetFile(path).metadata.metadata or {}).get(ROOT_KEY)
        for row in rows(path):
            if row.get(key) != first + tree.size:
                raise _Problem(
                    f"partition {name}: row {first + tree.size} expected, found {row.get(key)!r} "
                    "(rows removed, repeated or reordered)"
                )
            tree.add(canonical_json(row))
    except (pa.ArrowException, OSError) as exc:
        raise _Problem(f"partition {name} cannot be read as Parquet ({exc})") from None
    root = as_text(tree.root())
    last = first + tree.size - 1
    if tree.size != part["rows"]:
        raise _Problem(
            f"partition {name} holds {tree.size} rows, not the {part['rows']} the manifest "
            "records (rows removed or added)"
        )
    if first != part["first"] or root != part["root"]:
        raise _Problem(
            f"partition {name} (rows {first} to {last}) was changed: its rows do not match "
            "the root the manifest records"
        )
    if stored is not None and stored.decode() != root:
        raise _Problem(f"partition {name}: the root in its own metadata differs from its rows'")
    return tree.size, from_text(root)
