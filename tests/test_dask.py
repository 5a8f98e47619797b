"""`--engine dask`: the same results, byte for byte and root for root, as the local pool.

Real Dask clusters are started on 127.0.0.1: a 2-worker local cluster by the commands themselves,
and clusters started here standing in for an existing one (``--scheduler``).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from transport_policy import load_case
from transport_policy.batch import cluster
from transport_policy.cli import main

pytest.importorskip("distributed")

from distributed import LocalCluster

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "cases").glob("*.yaml"))
DRAFT = ROOT / "docs" / "examples" / "draft-2027"


def _records(path: Path, copies: int = 5) -> Path:
    """Every golden case ``copies`` times under new case ids, with bad lines among them."""
    good = [load_case(p)[0].model_dump(mode="json", exclude_none=True) for p in CASES]
    lines = [
        json.dumps({**record, "case_id": f"D-{n}-{i}"})
        for n in range(copies)
        for i, record in enumerate(good)
    ]
    lines[7] = '{"case_id": "D-bad", "person": {"age": "old"}}'
    lines[len(lines) // 2] = "not json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(*args: str) -> Result:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def _root(text: str) -> str:
    return text.rsplit("root ", 1)[1].split()[0]


def test_batch_replay_and_impact_on_a_two_worker_cluster_match_the_local_pool(
    tmp_path: Path,
) -> None:
    records = _records(tmp_path / "records.jsonl")
    n = len(records.read_text().splitlines())
    outputs: dict[str, dict[str, bytes | str]] = {}
    for engine in ("local", "dask"):
        d = tmp_path / engine
        d.mkdir()
        rows = "64" if engine == "local" else "128"  # the root does not depend on it
        batch = _run(
            *("batch", str(records), "-o", str(d / "out.jsonl"), "--log", str(d / "d.log")),
            *(
                "--engine",
                engine,
                "-j",
                "2",
                "--partitions",
                str(d / "batch"),
                "--partition-rows",
                rows,
            ),
        )
        assert batch.exit_code == 1  # two records rejected, each in its place
        replay = _run(
            *("replay", str(d / "d.log"), "--format", "json", "--engine", engine, "-j", "2"),
            *("--partitions", str(d / "replay"), "--partition-rows", rows),
        )
        assert replay.exit_code == 0, replay.output
        impact = _run(
            *("impact", str(records), "--from", "2021-01", "--to", "draft-2027"),
            *("--to-rules", str(DRAFT), "--by", "destination.purpose", "--format", "json"),
            *("--engine", engine, "-j", "2", "--partitions", str(d / "impact")),
        )
        assert impact.exit_code == 1
        outputs[engine] = {
            "batch": (d / "out.jsonl").read_bytes(),
            "batch_root": _root(batch.stderr),
            "replay": replay.stdout,
            "replay_root": _root(replay.stderr),
            "impact": impact.stdout,
            "impact_root": _root(impact.stderr),
        }
    local, dask = outputs["local"], outputs["dask"]
    assert local == dask
    lines = [json.loads(line) for line in bytes(local["batch"]).splitlines()]
    assert len(lines) == n and [line.get("index") for line in lines][7] == 8  # N in, N out
    assert lines[n // 2]["errors"][0]["field"] == "(line)"
    replayed = [json.loads(line) for line in str(local["replay"]).splitlines()]
    assert len(replayed) == n - 2 and {r["status"] for r in replayed} == {"identical"}
    impact = json.loads(str(local["impact"]))
    assert impact["cases"] == n - 2 and impact["outcome_changes"] > 0
    assert impact["partitions_root"] == local["impact_root"]
    for kind in ("batch", "replay", "impact"):
        verified = _run(
            "audit", "verify", str(tmp_path / "dask" / kind), "--root", str(local[f"{kind}_root"])
        )
        assert verified.exit_code == 0, verified.output


@contextmanager
def _existing_cluster(threads: int) -> Iterator[str]:
    """A cluster started with Dask's own settings (its nanny sets MALLOC_TRIM_THRESHOLD_ in the
    workers, and in this process's environment, which is put back afterwards)."""
    environ = dict(os.environ)
    try:
        with LocalCluster(
            n_workers=1,
            threads_per_worker=threads,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            silence_logs=logging.ERROR,
        ) as existing:
            yield existing.scheduler_address
    finally:
        os.environ.clear()
        os.environ.update(environ)


def test_workers_allocate_memory_as_the_local_pools_do() -> None:
    """Dask's MALLOC_TRIM_THRESHOLD_ makes durable-rules several times slower (the benchmark
    bench_dask.py measures it): the local cluster's workers are started without it, and the
    workers of any other cluster get thresholds that undo it as they join."""
    with cluster.connect(2, None) as client:
        client.register_plugin(cluster.EnginePlugin(((None, None),)))
        assert cluster.check_workers(client) == 2
        states = client.run(cluster.malloc_state)
        assert len(states) == 2 and all(
            s == {"variables": {}, "restored": False} for s in states.values()
        )
    with _existing_cluster(threads=1) as address, cluster.connect(1, address) as client:
        client.register_plugin(cluster.EnginePlugin(((None, "2021-01"),)))
        (state,) = client.run(cluster.malloc_state).values()
        assert state == {"variables": {"MALLOC_TRIM_THRESHOLD_": "65536"}, "restored": True}


def test_a_cluster_whose_workers_run_several_threads_is_refused(tmp_path: Path) -> None:
    records = _records(tmp_path / "records.jsonl", copies=1)
    with _existing_cluster(threads=2) as address:
        result = _run("batch", str(records), "--scheduler", address)
    assert result.exit_code == 3
    assert "durable-rules needs one thread per worker process" in result.output


def test_engine_options_are_checked() -> None:
    both = _run("batch", str(CASES[0]), "--scheduler", "tcp://127.0.0.1:1", "--engine", "local")
    assert both.exit_code == 2 and "cannot go with --engine local" in both.output
    jobs = _run("replay", str(CASES[0]), "--scheduler", "tcp://127.0.0.1:1", "-j", "2")
    assert jobs.exit_code == 2 and "--jobs sets the workers of a local cluster" in jobs.output
