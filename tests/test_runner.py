"""Sweeps end to end: computing cells, resuming an interrupted run, recomputing committed cells."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from qmlr.core.train import TrainConfig
from qmlr.engine import agreement, runner
from qmlr.engine.specs import CellSpec, DataSpec, ModelSpec
from qmlr.engine.store import CorruptResultError, ResultStore

RESULTS = Path(__file__).resolve().parent.parent / "results"


def tiny_cells() -> list[CellSpec]:
    cells = []
    for model, train in [
        (ModelSpec("mlp", hidden=(8, 4)), TrainConfig(2, 128, 0.01)),
        (ModelSpec("qnn", depth=1), TrainConfig(1, 256, 0.005)),
    ]:
        for alpha in (0.0, 0.4):
            for run in (0, 1):
                cells.append(
                    CellSpec("tiny", DataSpec("mnist"), model, train, "label_flip", alpha, run)
                )
    return cells


def metrics_of(results) -> list[dict]:
    return [r.metrics for r in results]


def test_cells_are_computed_with_sane_metrics(tmp_path):
    store = ResultStore(tmp_path)
    results = runner.run_cells(tiny_cells(), store, n_jobs=1, progress=False)
    assert len(results) == 8
    for r in results:
        assert 0.0 <= r.metrics["val_accuracy"] <= 1.0
        assert r.metrics["n_corrupted"] == (200 if r.spec.alpha == 0.4 else 0)
        assert r.provenance["ensemble_keys"][r.provenance["ensemble_index"]] == r.spec.key()
    # an MLP and a QNN at the same (alpha, run) see the same poison
    mlp, qnn = results[3], results[7]
    assert mlp.spec.alpha == qnn.spec.alpha == 0.4 and mlp.spec.run == qnn.spec.run
    np.testing.assert_array_equal(
        runner.poisoned_training_set(mlp.spec).corrupted,
        runner.poisoned_training_set(qnn.spec).corrupted,
    )


def test_interrupted_run_resumes_to_the_same_records(tmp_path, monkeypatch):
    cells = tiny_cells()
    reference = runner.run_cells(
        cells, ResultStore(tmp_path / "straight"), n_jobs=1, progress=False
    )

    store = ResultStore(tmp_path / "resumed")
    calls = {"n": 0}
    real = runner.train_group

    def dies_on_second_group(group):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("killed")
        return real(group)

    monkeypatch.setattr(runner, "train_group", dies_on_second_group)
    with pytest.raises(KeyboardInterrupt):
        runner.run_specs(
            cells, store, dies_on_second_group, runner._plan_sweep, n_jobs=1, progress=False
        )
    done = len(store.keys("tiny"))
    assert 0 < done < len(cells)
    monkeypatch.setattr(runner, "train_group", real)
    resumed = runner.run_cells(cells, store, n_jobs=1, progress=False)
    assert metrics_of(resumed) == metrics_of(reference)


def test_parallel_workers_give_the_same_records(tmp_path, monkeypatch):
    monkeypatch.delenv(runner.MAX_JOBS_ENV, raising=False)  # the suite caps runs at one worker
    cells = tiny_cells()
    serial = runner.run_cells(cells, ResultStore(tmp_path / "serial"), n_jobs=1, progress=False)
    parallel = runner.run_cells(cells, ResultStore(tmp_path / "parallel"), n_jobs=2, progress=False)
    assert metrics_of(parallel) == metrics_of(serial)


def committed_cells(max_wall_time_s: float = 120.0) -> list[Path]:
    """Committed sweep cells whose whole ensemble took at most ``max_wall_time_s`` to train."""
    paths = []
    for path in sorted(RESULTS.glob("*/cells/*.json")):
        provenance = json.loads(path.read_text())["provenance"]
        if "ensemble_keys" in provenance and provenance["ensemble_wall_time_s"] <= max_wall_time_s:
            paths.append(path)
    return paths


#: Seeds the pick of the committed cell that is recomputed (change it to try another cell).
RECOMPUTE_PICK_SEED = 11


def test_a_random_committed_cell_recomputes_to_the_same_accuracies():
    """Pick a committed paper-scale cell (seeded, among the cheaper ensembles, to bound the
    test's time) and recompute it from its recorded spec, seeds and ensemble: bit for bit on the
    CPU fingerprint that computed it, within the cross-CPU tolerance elsewhere."""
    paths = committed_cells()
    if not paths:
        pytest.skip("no committed paper-scale results in results/ yet")
    path = paths[np.random.default_rng(RECOMPUTE_PICK_SEED).integers(len(paths))]
    store = ResultStore(RESULTS)
    committed = store.load_file(path)
    fresh = agreement.recompute(committed, store, check=False)
    check = fresh.provenance["recompute_check"]
    print(check["summary"])  # says which check ran: bit-identical or cross-CPU tolerance
    assert check["ok"], f"committed cell {path.relative_to(RESULTS)}: {check['summary']}"


def test_a_tampered_committed_file_is_refused(tmp_path):
    paths = sorted(RESULTS.glob("*/cells/*.json"))
    if not paths:
        pytest.skip("no committed results in results/ yet")
    target = tmp_path / paths[0].parent.parent.name / "cells" / paths[0].name
    target.parent.mkdir(parents=True)
    shutil.copy(paths[0], target)
    document = json.loads(target.read_text())
    document["metrics"]["val_accuracy"] = 1.0 - document["metrics"]["val_accuracy"]
    target.write_text(json.dumps(document))
    with pytest.raises(CorruptResultError, match="SHA-256"):
        ResultStore(tmp_path).load_file(target)


def test_cli_reports_unknown_study_and_profile(capsys):
    from qmlr.tools.cli import main

    assert main(["reproduce", "--profile", "smoke", "no-such-study"]) == 2
    assert "unknown study" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["reproduce", "--profile", "huge"])


def test_the_cost_model_scales_with_members_epochs_and_samples():
    def cell(model: ModelSpec, epochs: int = 10) -> CellSpec:
        train = TrainConfig(epochs, 8, 0.01)
        return CellSpec("demo", DataSpec("xxz"), model, train, "label_flip", 0.2, 0)

    mlp, qnn = cell(ModelSpec("mlp", hidden=(4,))), cell(ModelSpec("qnn", depth=2))
    n_train = len(runner.clean_split(mlp.data, "train"))
    assert runner.forward_cost(qnn.model, qnn.data) == 2 * 2**12
    assert runner.forward_cost(mlp.model, mlp.data) == runner.CLASSICAL_UNIT_COST * 5
    np.testing.assert_allclose(
        runner.training_cost(qnn, members=3), 3 * 3 * 10 * n_train * 2 * 2**12
    )
    assert runner.group_cost([qnn, qnn]) == runner.training_cost(qnn, members=2)
    no_epochs = cell(ModelSpec("centroid"), epochs=0)
    assert runner.training_cost(no_epochs) == 3 * n_train * runner.CLASSICAL_UNIT_COST


def test_the_worker_processes_are_capped_by_the_environment(monkeypatch):
    monkeypatch.delenv(runner.MAX_JOBS_ENV, raising=False)
    assert runner.job_limit(2) == 2
    monkeypatch.setenv(runner.MAX_JOBS_ENV, "1")
    assert (runner.job_limit(2), runner.job_limit(1)) == (1, 1)
    monkeypatch.setenv(runner.MAX_JOBS_ENV, "0")
    assert runner.job_limit(3) == 1


@pytest.mark.parametrize(("n_jobs", "expected"), [(1, 1), (2, 2)])
def test_a_run_in_this_process_uses_one_thread_per_job_and_restores_the_count(
    tmp_path, monkeypatch, n_jobs, expected
):
    # one group, so even n_jobs=2 computes in this process: with as many threads as jobs, never
    # every core of the machine (the suite's workers would oversubscribe the cores)
    monkeypatch.delenv(runner.MAX_JOBS_ENV, raising=False)
    seen = []
    monkeypatch.setattr(torch, "get_num_threads", lambda: 4)
    monkeypatch.setattr(torch, "set_num_threads", seen.append)

    class Computed(Exception):
        pass

    def compute(specs):
        raise Computed

    with pytest.raises(Computed):
        runner.run_specs(
            [tiny_cells()[0]], ResultStore(tmp_path), compute, n_jobs=n_jobs, progress=False
        )
    assert seen == [expected, 4]
