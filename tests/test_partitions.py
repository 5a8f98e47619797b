"""Verifiable partitions: RFC 6962 roots, Parquet partitions by row number, and `audit verify`."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from transport_policy.audit.merkle import TreeHash, as_text, combine, leaf_hash, tree_hash
from transport_policy.audit.partitions import (
    MANIFEST,
    PartitionError,
    PartitionWriter,
    partition_name,
)
from transport_policy.audit.verify_partitions import verify_partitions
from transport_policy.cli.audit import audit_group
from transport_policy.cli.batch import batch_command
from transport_policy.cli.impact import impact_command
from transport_policy.cli.replay import replay_command
from transport_policy.digest import canonical_json

SCHEMA = pa.schema(
    [
        pa.field("index", pa.int64(), nullable=False),
        ("text", pa.string()),
        ("tags", pa.list_(pa.string())),
    ]
)


def _rows(n: int) -> list[dict[str, object]]:
    return [
        {"index": i, "text": None if i % 7 == 0 else f"row {i} é", "tags": ["a"] * (i % 3)}
        for i in range(1, n + 1)
    ]


def _write(folder: Path, rows: list[dict[str, object]], partition_rows: int) -> str:
    with PartitionWriter(folder, "test", SCHEMA, partition_rows=partition_rows) as writer:
        for row in rows:
            writer.add(row)
    return writer.root


def test_rfc_6962_known_values() -> None:
    """The empty tree and a one-leaf tree, as RFC 6962 defines them."""
    assert TreeHash().root() == hashlib.sha256(b"").digest()
    assert tree_hash([b"x"]) == hashlib.sha256(b"\x00x").digest()
    two = hashlib.sha256(b"\x01" + leaf_hash(b"a") + leaf_hash(b"b")).digest()
    assert tree_hash([b"a", b"b"]) == two


@given(st.lists(st.binary(max_size=8), max_size=70), st.sampled_from([1, 2, 4, 8, 16]))
def test_streaming_and_partitioned_roots_equal_the_recursive_definition(
    leaves: list[bytes], size: int
) -> None:
    tree = TreeHash()
    for leaf in leaves:
        tree.add(leaf)
    assert tree.root() == tree_hash(leaves)
    parts = [leaves[i : i + size] for i in range(0, len(leaves), size)]
    assert combine(size, [(len(p), tree_hash(p)) for p in parts]) == tree_hash(leaves)


def test_the_root_does_not_depend_on_the_partition_size(tmp_path: Path) -> None:
    rows = _rows(300)
    roots = {_write(tmp_path / str(size), rows, size) for size in (32, 64, 512)}
    leaves = [canonical_json(r) for r in pa.Table.from_pylist(rows, schema=SCHEMA).to_pylist()]
    assert roots == {as_text(tree_hash(leaves))}
    manifest = json.loads((tmp_path / "64" / MANIFEST).read_text())
    assert [p["first"] for p in manifest["partitions"]] == [1, 65, 129, 193, 257]
    assert [p["rows"] for p in manifest["partitions"]] == [64, 64, 64, 64, 44]
    assert sorted(f.name for f in (tmp_path / "64").iterdir()) == [
        MANIFEST,
        *(partition_name(n) for n in range(5)),
    ]
    report = verify_partitions(tmp_path / "64", next(iter(roots)))
    assert report.ok and report.rows == 300 and report.partitions == 5


def test_writing_refuses_rows_out_of_order_and_a_folder_in_use(tmp_path: Path) -> None:
    with pytest.raises(PartitionError, match="power of two"):
        PartitionWriter(tmp_path / "a", "test", SCHEMA, partition_rows=100)
    writer = PartitionWriter(tmp_path / "b", "test", SCHEMA, partition_rows=4)
    writer.add(_rows(1)[0])
    with pytest.raises(PartitionError, match="row 3 is out of order"):
        writer.add(_rows(3)[2])
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "old.txt").write_text("x")
    with pytest.raises(PartitionError, match="not empty"):
        PartitionWriter(tmp_path / "c", "test", SCHEMA)


def test_a_run_that_fails_leaves_no_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "rows"
    with pytest.raises(RuntimeError), PartitionWriter(folder, "t", SCHEMA, partition_rows=4) as w:
        for row in _rows(6):
            w.add(row)
        raise RuntimeError("stopped")
    assert not (folder / MANIFEST).exists()
    with pytest.raises(PartitionError, match="did not finish"):
        verify_partitions(folder)


def _rewrite(path: Path, change: object) -> None:
    rows = pq.read_table(path).to_pylist()
    change(rows)  # type: ignore[operator]
    metadata = pq.ParquetFile(path).metadata.metadata
    table = pa.Table.from_pylist(rows, schema=SCHEMA.with_metadata(metadata))
    pq.write_table(table, path)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("edit", "part-000001.parquet (rows 9 to 16) was changed"),
        ("drop-row", "row 11 expected, found 12"),
        ("drop-last", "part-000001.parquet holds 7 rows, not the 8 the manifest records"),
        ("swap", "row 9 expected, found 10"),
        ("remove", "partition part-000002.parquet is missing"),
        ("extra", "stray.parquet is not listed in the manifest"),
        ("manifest-root", "the manifest's root or row count does not match"),
    ],
)
def test_verify_names_what_was_changed(tmp_path: Path, damage: str, message: str) -> None:
    folder = tmp_path / "rows"
    _write(folder, _rows(30), 8)
    second = folder / partition_name(1)
    if damage == "edit":
        _rewrite(second, lambda rows: rows[3].update(text="changed"))
    elif damage == "drop-row":
        _rewrite(second, lambda rows: rows.pop(2))
    elif damage == "drop-last":
        _rewrite(second, lambda rows: rows.pop())
    elif damage == "swap":
        _rewrite(second, lambda rows: rows.insert(0, rows.pop(1)))
    elif damage == "remove":
        (folder / partition_name(2)).unlink()
    elif damage == "extra":
        shutil.copy(second, folder / "stray.parquet")
    else:
        manifest = json.loads((folder / MANIFEST).read_text())
        manifest["root"] = "sha256:" + "0" * 64
        (folder / MANIFEST).write_text(json.dumps(manifest))
    report = verify_partitions(folder)
    assert not report.ok and report.problem is not None and message in report.problem


def test_audit_verify_accepts_a_partition_folder_and_a_root(tmp_path: Path) -> None:
    folder = tmp_path / "rows"
    root = _write(folder, _rows(20), 8)
    runner = CliRunner()
    ok = runner.invoke(audit_group, ["verify", str(folder), "--root", root])
    assert ok.exit_code == 0, ok.output
    assert "intact and has the root given, 20 rows of test results in 3 partitions" in ok.output
    other = "sha256:" + "1" * 64
    differs = runner.invoke(audit_group, ["verify", str(folder), "--root", other])
    assert differs.exit_code == 1 and "the rows differ from that run's" in differs.output
    as_json = json.loads(
        runner.invoke(audit_group, ["verify", str(folder), "--format", "json"]).output
    )
    assert as_json == {
        "folder": str(folder),
        "ok": True,
        "kind": "test",
        "rows": 20,
        "partitions": 3,
        "root": root,
        "problem": None,
    }
    bad_root = runner.invoke(audit_group, ["verify", str(folder), "--root", "sha256:12"])
    assert bad_root.exit_code == 2
    checkpoint = runner.invoke(audit_group, ["verify", str(folder), "--checkpoint", f"3:{root}"])
    assert checkpoint.exit_code == 2 and "--checkpoint is for a decision log" in checkpoint.output
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = runner.invoke(audit_group, ["verify", str(empty)])
    assert missing.exit_code == 3 and "no manifest.json" in missing.output


def test_partition_options_are_checked_before_anything_is_written(tmp_path: Path) -> None:
    case = next((Path(__file__).resolve().parents[1] / "cases").glob("*.yaml"))
    out, folder = tmp_path / "out.jsonl", tmp_path / "parts"
    out.write_text("an earlier run's output\n")
    commands = (
        (batch_command, [str(case), "-o", str(out)]),
        (impact_command, [str(case), "--from", "2016", "--to", "2021-01"]),
        (replay_command, [str(out)]),
    )
    for command, args in commands:
        result = CliRunner().invoke(
            command, [*args, "--partitions", str(folder), "--partition-rows", "100"]
        )
        assert result.exit_code == 2, result.output
        assert "rows per partition must be a power of two, not 100" in result.stderr
        assert not folder.exists()
    folder.mkdir()
    (folder / "earlier.parquet").write_bytes(b"")
    refused = CliRunner().invoke(
        batch_command, [str(case), "-o", str(out), "--partitions", str(folder)]
    )
    assert refused.exit_code == 3 and "the partition folder is not empty" in refused.stderr
    assert out.read_text() == "an earlier run's output\n"
