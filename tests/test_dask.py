"""The dask backend: sweeps on a Dask cluster give the local records, survive dead workers, and
the CLI refuses inconsistent backend flags.

The cluster is a ``distributed.LocalCluster`` of two worker processes with one thread each, the
shape the README recommends for a real cluster.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")
psutil = pytest.importorskip("psutil")

from qmlr.core.train import TrainConfig  # noqa: E402
from qmlr.engine import runner  # noqa: E402
from qmlr.engine.cluster import check_backend  # noqa: E402
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec  # noqa: E402
from qmlr.engine.store import CellResult, ResultStore  # noqa: E402
from qmlr.tools.cli import build_parser, main  # noqa: E402

#: The cheapest smoke study with several groups: 36 XXZ MLPs in 6 ensembles.
STUDY = "phase-sensitivity"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each; after closing it, none of them may be left."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local:
        yield local
        with distributed.Client(local) as client:
            pids = list(client.run(os.getpid).values())
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids), "worker processes outlived their cluster"


def test_smoke_study_on_a_cluster_writes_the_local_records(cluster, tmp_path):
    """Through the CLI: the same study, locally (default loky backend) and on the cluster.

    Every group trains with one torch thread in both cases, so the floating-point operations,
    and hence the records, are the same to the last bit: the CSV files must be equal byte for
    byte.
    """
    common = ["reproduce", STUDY, "--profile", "smoke"]
    assert main([*common, "--results", str(tmp_path / "local")]) == 0
    dask_flags = ["--backend", "dask", "--scheduler", cluster.scheduler_address]
    assert main([*common, "--results", str(tmp_path / "dask"), *dask_flags]) == 0

    local = (tmp_path / "local" / STUDY / "records.csv").read_bytes()
    remote = (tmp_path / "dask" / STUDY / "records.csv").read_bytes()
    assert remote == local
    assert len(local.splitlines()) == 1 + 36
    log = json.loads((tmp_path / "dask" / STUDY / "study.json").read_text())
    assert [s["backend"] for s in log["sessions"]] == ["dask"]

    # resumable: a second run finds every cell and computes nothing
    assert main([*common, "--results", str(tmp_path / "dask"), *dask_flags]) == 0
    log = json.loads((tmp_path / "dask" / STUDY / "study.json").read_text())
    assert len(log["sessions"]) == 1


def tiny_cells() -> list[CellSpec]:
    """Three tiny XXZ MLP ensembles (three groups) of four cells each."""
    train = TrainConfig(epochs=1, batch_size=32, lr=0.01)
    return [
        CellSpec("dask-crash", DataSpec("xxz"), ModelSpec("mlp", hidden=hidden), train, c, a, 0)
        for hidden in ((4, 2), (8, 2), (8, 4))
        for c in ("label_flip", "feature_random")
        for a in (0.0, 0.4)
    ]


def train_group_or_die_once(marker: str, cells: list[CellSpec]) -> list[CellResult]:
    """Train the group, unless this is the first call to find ``marker`` absent: that call
    creates it (atomically, so exactly one call wins), writes its process id into it and kills
    its own process on the spot, as a crashed or preempted worker would."""
    try:
        fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return runner.train_group(cells)
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    os._exit(1)


class CountingStore(ResultStore):
    """A store that counts how often each result is written."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.saved: Counter[str] = Counter()

    def save(self, result: CellResult) -> Path:
        self.saved[result.spec.key()] += 1
        return super().save(result)


def test_a_worker_dying_mid_group_is_recomputed_and_written_once(cluster, tmp_path):
    cells = tiny_cells()
    marker = tmp_path / "worker-died"
    store = CountingStore(tmp_path / "dask")
    results = runner.run_specs(
        cells,
        store,
        functools.partial(train_group_or_die_once, str(marker)),
        runner._plan_sweep,
        progress=False,
        backend="dask",
        scheduler=cluster.scheduler_address,
    )

    dead = int(marker.read_text())
    assert dead != os.getpid() and not _alive(dead), "a worker process should have died"
    assert store.saved == Counter(c.key() for c in cells)  # every cell written exactly once
    folder = tmp_path / "dask" / "dask-crash" / "cells"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{c.key()}.json" for c in cells)
    reference = runner.run_cells(cells, ResultStore(tmp_path / "serial"), n_jobs=1, progress=False)
    assert [r.metrics for r in results] == [r.metrics for r in reference]


def test_cli_parses_the_backend_flags():
    parser = build_parser()
    default = parser.parse_args(["reproduce"])
    assert (default.backend, default.scheduler) == ("loky", None)
    args = parser.parse_args(["reproduce", "--backend", "dask", "--scheduler", "tcp://h:8786"])
    assert (args.backend, args.scheduler) == ("dask", "tcp://h:8786")
    with pytest.raises(SystemExit):
        parser.parse_args(["reproduce", "--backend", "ray"])


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:8786"], "only used by the dask backend"),
        (["--backend", "dask"], "needs the address of a running scheduler"),
    ],
)
def test_cli_refuses_inconsistent_backend_flags(flags, message, tmp_path, capsys):
    argv = ["reproduce", STUDY, "--profile", "smoke", "--results", str(tmp_path), *flags]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # refused before computing anything


def test_cli_names_the_extra_when_dask_is_missing(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` now fails
    argv = ["reproduce", STUDY, "--profile", "smoke", "--results", str(tmp_path)]
    assert main([*argv, "--backend", "dask", "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert 'pip install "qmlr[dask]"' in capsys.readouterr().err


def test_cli_reports_an_unreachable_scheduler(tmp_path, capsys):
    import socket

    import dask

    with socket.socket() as probe:  # a free port, closed again: nothing listens there
        probe.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{probe.getsockname()[1]}"
    argv = ["reproduce", STUDY, "--profile", "smoke", "--results", str(tmp_path)]
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        assert main([*argv, "--backend", "dask", "--scheduler", address]) == 2
    assert f"cannot reach the Dask scheduler at {address}" in capsys.readouterr().err


def test_run_specs_checks_the_backend_before_computing(tmp_path):
    with pytest.raises(ValueError, match="unknown backend"):
        check_backend("ray", None)
    with pytest.raises(ValueError, match="needs the address"):
        runner.run_specs(tiny_cells(), ResultStore(tmp_path), runner.train_group, backend="dask")
    assert not any(tmp_path.iterdir())
