"""Verifiable partitions: results as Parquet files, each with a hash root, and a root over them.

A run's rows (one per input record, in input order, numbered from 1 by a key column) are cut by
that number into partitions of ``partition_rows`` rows, a power of two: partition ``p`` holds
rows ``p * partition_rows + 1`` onwards, in ``part-<p>.parquet`` (numbered from 0). Which rows a
partition holds depends only on the input, never on which engine or how many workers decided
them. Each row's leaf is the RFC 8785 canonical JSON of the row (every column, nulls included);
each partition's root is the RFC 6962 tree hash of its leaves, and the run's root the tree hash
of every leaf, computed from the partition roots (:mod:`.merkle`). ``manifest.json``, written
last, lists the partitions and both kinds of root; a run that did not finish leaves none. Two
runs over the same input gave the same rows, in the same order, exactly when their roots are
equal. docs/auditing.md describes the format for readers who check it with their own tools.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from ..digest import canonical_json
from ..errors import TransportPolicyError
from .merkle import TreeHash, as_text, combine, from_text

FORMAT: Final = "transport-policy-partitions/1"
MANIFEST: Final = "manifest.json"
PARTITION_ROWS: Final = 65536
"""Rows per partition by default (2**16)."""
ROW_GROUP_ROWS: Final = 4096
"""Rows per Parquet row group: the most rows held in memory while a partition is written."""
HASH: Final = "RFC 6962 SHA-256 tree hash over the RFC 8785 canonical JSON of each row"
ROOT_KEY: Final = b"transport-policy.root"


class PartitionError(TransportPolicyError):
    """A partition folder cannot be written or read."""


def partition_name(number: int) -> str:
    return f"part-{number:06d}.parquet"


def check_partition_rows(rows: int) -> int:
    if rows < 1 or rows & (rows - 1):
        raise PartitionError(f"rows per partition must be a power of two, not {rows}")
    return rows


def prepare_folder(directory: str | Path) -> Path:
    """The output folder, created if missing; one that holds anything already is refused."""
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
        if any(path.iterdir()):
            raise PartitionError(f"{path}: the partition folder is not empty")
    except OSError as exc:
        raise PartitionError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


@dataclass
class _Open:
    """The partition being written."""

    number: int
    writer: pq.ParquetWriter
    tree: TreeHash = field(default_factory=TreeHash)
    buffer: list[Mapping[str, Any]] = field(default_factory=list)
    count: int = 0


class PartitionWriter:
    """Writes rows, in key order, to a partition folder (see the module's description).

    Memory is bounded by one row group, whatever the number of rows. :meth:`close` writes the
    manifest and returns it; leaving the ``with`` block on an exception writes none.
    """

    def __init__(
        self,
        directory: str | Path,
        kind: str,
        schema: pa.Schema,
        *,
        key: str = "index",
        partition_rows: int = PARTITION_ROWS,
        about: Mapping[str, Any] | None = None,
    ) -> None:
        self.path = prepare_folder(directory)
        self.kind, self.schema, self.key = kind, schema, key
        self.partition_rows = check_partition_rows(partition_rows)
        self.about = dict(about or {})
        self.rows = 0
        self.partitions: list[dict[str, Any]] = []
        self._open: _Open | None = None
        self.manifest: dict[str, Any] | None = None

    def __enter__(self) -> PartitionWriter:
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        elif self._open is not None:
            self._open.writer.close()

    def add(self, row: Mapping[str, Any]) -> None:
        """Add the next row (``row[key]`` must be one more than the previous row's)."""
        if row[self.key] != self.rows + 1:
            raise PartitionError(f"row {row[self.key]} is out of order (expected {self.rows + 1})")
        current = self._open
        if current is None:
            number = self.rows // self.partition_rows
            current = self._open = _Open(number, self._writer(number))
        current.buffer.append(row)
        current.count += 1
        self.rows += 1
        if len(current.buffer) >= ROW_GROUP_ROWS:
            self._flush(current)
        if current.count == self.partition_rows:
            self._finish(current)

    def _writer(self, number: int) -> pq.ParquetWriter:
        try:
            return pq.ParquetWriter(
                self.path / partition_name(number), self.schema, compression="zstd"
            )
        except OSError as exc:
            raise PartitionError(f"cannot write {self.path}: {exc}") from None

    def _flush(self, current: _Open) -> None:
        """Write the buffered rows as a row group, and hash them as they will be read back."""
        if current.buffer:
            table = pa.Table.from_pylist(current.buffer, schema=self.schema)
            for row in table.to_pylist():
                current.tree.add(canonical_json(row))
            current.writer.write_table(table)
            current.buffer.clear()

    def _finish(self, current: _Open) -> None:
        self._flush(current)
        root = as_text(current.tree.root())
        current.writer.add_key_value_metadata({ROOT_KEY.decode(): root})
        current.writer.close()
        first = current.number * self.partition_rows + 1
        self.partitions.append(
            {
                "file": partition_name(current.number),
                "first": first,
                "rows": current.tree.size,
                "root": root,
            }
        )
        self._open = None

    def close(self) -> dict[str, Any]:
        """Finish the last partition and write the manifest (once); return the manifest."""
        if self.manifest is not None:
            return self.manifest
        if self._open is not None:
            self._finish(self._open)
        roots = [(p["rows"], from_text(p["root"])) for p in self.partitions]
        self.manifest = {
            "format": FORMAT,
            "kind": self.kind,
            "key": self.key,
            "rows": self.rows,
            "partition_rows": self.partition_rows,
            "hash": HASH,
            "root": as_text(combine(self.partition_rows, roots)),
            "partitions": self.partitions,
            "about": self.about,
        }
        temporary = self.path / (MANIFEST + ".tmp")
        temporary.write_text(json.dumps(self.manifest, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.path / MANIFEST)
        return self.manifest

    @property
    def root(self) -> str:
        return str(self.close()["root"])


def read_manifest(directory: str | Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PartitionError(
            f"{directory}: no {MANIFEST} (not a partition folder, or its run did not finish)"
        ) from None
    except (OSError, ValueError) as exc:
        raise PartitionError(f"{path}: cannot be read ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise PartitionError(f"{path}: not a {FORMAT} manifest")
    return manifest


def files(directory: str | Path) -> list[str]:
    """The partition files of a finished run, in order."""
    return [str(Path(directory) / p["file"]) for p in read_manifest(directory)["partitions"]]


def rows(path: str | Path, batch_rows: int = ROW_GROUP_ROWS) -> Iterator[dict[str, Any]]:
    """The rows of one partition file, as dicts, a row group at a time."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
        yield from batch.to_pylist()
