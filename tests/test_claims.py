"""One writer per cell: claims, concurrent ``reproduce`` processes, and a ``kill -9`` mid-run."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from qmlr.engine import runner
from qmlr.engine.claims import CellClaims, Owner
from qmlr.engine.store import ResultStore
from qmlr.studies.registry import study_cells

REPO = Path(__file__).resolve().parent.parent
WORKER = Path(__file__).resolve().parent / "claim_worker.py"
sys.path.insert(0, str(WORKER.parent))
from claim_worker import fake_metrics  # noqa: E402

#: Seconds a test waits for its worker processes before it fails.
WORKER_TIMEOUT_S = 120


def smoke_cells() -> list:
    return study_cells("resilience", "smoke")


def uninterrupted_metrics() -> dict[str, dict]:
    """Each cell's metrics as one uninterrupted run computes them (its planned ensemble)."""
    expected = {}
    for group in runner._plan_sweep(smoke_cells()):
        keys = [c.key() for c in group]
        expected.update({key: fake_metrics(keys, key) for key in keys})
    return expected


def start_worker(tmp_path: Path, *options: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, str(WORKER), str(tmp_path / "results"), str(tmp_path / "log")]
    return subprocess.Popen(
        [*command, *options], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=WORKER_TIMEOUT_S)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def trainings(tmp_path: Path) -> list[dict]:
    """Every group the workers trained, in order: ``{"owner": pid, "keys": [...]}``."""
    return [json.loads(line) for line in (tmp_path / "log").read_text().splitlines()]


def check_store(tmp_path: Path) -> dict:
    """Every cell present with the uninterrupted run's metrics, no claim or temporary file
    left; returns the study log."""
    folder = tmp_path / "results" / "resilience"
    store = ResultStore(tmp_path / "results")
    assert {r.spec.key(): r.metrics for r in store.iter_study("resilience")} == (
        uninterrupted_metrics()
    )
    assert not list(folder.rglob("*.claim")) and not list(folder.rglob(".tmp-*"))
    assert not list(folder.glob(".export-*"))
    return json.loads((folder / "study.json").read_text())


def test_two_processes_started_together_train_every_cell_once(tmp_path):
    workers = [start_worker(tmp_path, "--barrier", "2", "--sleep", "0.3") for _ in range(2)]
    summaries = [finish(w) for w in workers]
    trained = Counter(key for t in trainings(tmp_path) for key in t["keys"])
    assert sorted(trained) == sorted(c.key() for c in smoke_cells())
    assert set(trained.values()) == {1}, "a cell was trained twice"
    per_owner = Counter()
    for t in trainings(tmp_path):
        per_owner[t["owner"]] += len(t["keys"])
    assert {s["owner"]: s["computed"] for s in summaries if s["computed"]} == dict(per_owner)
    log = check_store(tmp_path)
    sessions = sorted(s["cells_computed"] for s in log["sessions"])
    assert sessions == sorted(per_owner.values()) and sum(sessions) == 48


def test_a_killed_process_leaves_claims_that_the_next_runs_take_over(tmp_path):
    killed = start_worker(tmp_path, "--sleep", "0", "--stall-at", "3")
    try:
        deadline = time.monotonic() + WORKER_TIMEOUT_S
        while len(trainings(tmp_path) if (tmp_path / "log").exists() else []) < 3:
            assert killed.poll() is None and time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        killed.send_signal(signal.SIGKILL)
        killed.communicate()
    in_flight = trainings(tmp_path)[-1]["keys"]
    claims = tmp_path / "results" / "resilience" / ".claims"
    assert sorted(p.stem for p in claims.glob("*.claim")) == sorted(in_flight)
    landed = ResultStore(tmp_path / "results").keys("resilience")
    planned = runner._plan_sweep(smoke_cells())
    assert landed == sorted(c.key() for g in planned[:2] for c in g)

    options = ("--barrier", "2", "--ready", str(tmp_path / "ready-2"), "--sleep", "0.1")
    summaries = [finish(w) for w in [start_worker(tmp_path, *options) for _ in range(2)]]
    trained = Counter(key for t in trainings(tmp_path) for key in t["keys"])
    assert sorted(trained) == sorted(c.key() for c in smoke_cells())
    assert {k for k, n in trained.items() if n > 1} == set(in_flight)
    assert set(trained.values()) <= {1, 2}
    log = check_store(tmp_path)
    sessions = [s["cells_computed"] for s in log["sessions"]]
    assert sessions[0] == len(landed)  # the killed process's, logged as its cells landed
    assert sum(sessions) == 48 and len({s["session_id"] for s in log["sessions"]}) == len(sessions)
    assert sorted(sessions[1:]) == sorted(s["computed"] for s in summaries if s["computed"])


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def write_claim(claims: CellClaims, cell, owner: Owner | None) -> Path:
    path = claims.path(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("" if owner is None else json.dumps(owner.__dict__))
    return path


@pytest.mark.parametrize("gone", ["dead pid", "recycled pid", "empty claim"])
def test_a_claim_whose_owner_is_gone_is_taken_over(tmp_path, gone):
    owner = {
        "dead pid": lambda: Owner(socket.gethostname(), dead_pid(), None, "gone"),
        "recycled pid": lambda: Owner(socket.gethostname(), os.getpid(), "other start", "old"),
        "empty claim": lambda: None,  # killed while writing its claim
    }[gone]()
    cell = smoke_cells()[0]
    with CellClaims(ResultStore(tmp_path)) as claims:
        path = write_claim(claims, cell, owner)
        assert claims.owner(cell) is None
        assert claims.try_claim([cell])
        assert json.loads(path.read_text())["token"] == claims.me.token
    assert not path.exists()


def test_a_live_claim_is_honoured_and_a_group_is_claimed_all_or_none(tmp_path):
    first, second = smoke_cells()[:2]
    store = ResultStore(tmp_path)
    with CellClaims(store) as mine, CellClaims(store) as theirs:
        assert theirs.try_claim([second])
        assert not mine.try_claim([first, second])
        assert not mine.path(first).exists()
        assert mine.owner(second) == theirs.me and mine.owner(first) is None
        theirs.release([second])
        assert mine.try_claim([first, second])


def test_a_claim_from_another_host_counts_as_live(tmp_path):
    cell = smoke_cells()[0]
    remote = Owner("another-host.invalid", dead_pid(), None, "remote")
    with CellClaims(ResultStore(tmp_path)) as claims:
        path = write_claim(claims, cell, remote)
        assert claims.owner(cell) == remote and not claims.try_claim([cell])
    assert path.exists()  # not ours to remove


def test_an_unreaped_zombie_owns_nothing():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    owner = Owner(socket.gethostname(), process.pid, None, "zombie")
    deadline = time.monotonic() + WORKER_TIMEOUT_S
    while Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert not owner.alive()
    process.wait()


def test_release_leaves_a_claim_that_another_run_took_over(tmp_path):
    cell = smoke_cells()[0]
    with CellClaims(ResultStore(tmp_path)) as claims:
        assert claims.try_claim([cell])
        other = Owner(socket.gethostname(), os.getpid(), claims.me.started, "other run")
        path = write_claim(claims, cell, other)
        claims.release([cell])
        assert path.exists()
