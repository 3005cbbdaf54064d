"""The controls study: its grid, its pairing with the resilience study, its records."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from qmlr.core.models import CONTROL_KINDS
from qmlr.engine.runner import poisoned_training_set
from qmlr.engine.store import ResultStore, export_records
from qmlr.studies import controls_study as C
from qmlr.studies.experiments import Profile, get_profile
from qmlr.studies.registry import STUDIES, study_cells

RECORD_COLUMNS = (
    "dataset, model, corruption, alpha, run, train_accuracy, val_accuracy, n_params, "
    "corrupted_memorized, clean_train_accuracy, key"
).split(", ")


def test_paper_grid_covers_every_kind_dataset_corruption_alpha_and_run():
    profile = get_profile("paper")
    cells = study_cells("controls", "paper")
    assert "controls" in STUDIES
    assert len(cells) == 2 * len(CONTROL_KINDS) * 2 * len(profile.alphas) * profile.runs
    assert {c.model.kind for c in cells} == set(CONTROL_KINDS)
    assert {c.alpha for c in cells} == set(profile.alphas)
    assert len({c.key() for c in cells}) == len(cells)


def test_controls_train_with_the_settings_of_the_model_they_mimic():
    from qmlr.studies.experiments import PAPER_MLP_HIDDEN, PAPER_TRAINING

    by_kind = {(c.data.name, c.model.kind): c for c in study_cells("controls", "paper")}
    for dataset in ("mnist", "xxz"):
        assert by_kind[dataset, "logistic"].train == PAPER_TRAINING[dataset, "qnn"]
        assert by_kind[dataset, "logistic-quadratic"].train == PAPER_TRAINING[dataset, "qnn"]
        for kind in ("mlp-tanh", "mlp-early-stop", "mlp-weight-decay"):
            assert by_kind[dataset, kind].train == PAPER_TRAINING[dataset, "mlp"]
            assert by_kind[dataset, kind].model.hidden == PAPER_MLP_HIDDEN[dataset]
        assert by_kind[dataset, "centroid"].train == C.NO_TRAINING
    assert C.qnn_n_params("mnist") == 240 and C.qnn_n_params("xxz") == 192


@pytest.mark.parametrize("corruption", ["label_flip", "feature_random"])
def test_a_control_sees_the_resilience_cells_poison(corruption):
    resilience = {
        (c.data.name, c.model.kind, c.corruption, c.alpha, c.run): c
        for c in study_cells("resilience", "paper")
    }
    control = next(
        c
        for c in study_cells("controls", "paper")
        if (c.data.name, c.model.kind, c.corruption, c.alpha, c.run)
        == ("mnist", "logistic", corruption, 0.3, 2)
    )
    for kind in ("mlp", "qnn"):
        paired = resilience["mnist", kind, corruption, 0.3, 2]
        assert paired.poison_seed() == control.poison_seed()
        a, b = poisoned_training_set(control), poisoned_training_set(paired)
        np.testing.assert_array_equal(a.data.x, b.data.x)
        np.testing.assert_array_equal(a.data.y, b.data.y)
        np.testing.assert_array_equal(a.corrupted, b.corrupted)
        assert control.model_seed() != paired.model_seed()


def test_one_cell_of_every_kind_computes_to_records_with_the_contract_columns(tmp_path):
    from qmlr.engine.runner import run_specs

    tiny = Profile("tiny", alphas=(0.4,), runs=1, epoch_scale=0.02)
    cells = [c for c in C.controls_cells(tiny) if c.data.name == "mnist"]
    cells = [c for c in cells if c.corruption == "label_flip"]
    assert len(cells) == len(CONTROL_KINDS)
    results = run_specs(cells, ResultStore(tmp_path), C.compute, C.plan, n_jobs=1, progress=False)
    path = export_records(results, tmp_path / "records.csv")
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert set(RECORD_COLUMNS) <= set(rows[0])
    assert {r["model"] for r in rows} == set(CONTROL_KINDS)
    n_params = {r["model"]: int(r["n_params"]) for r in rows}
    assert n_params["centroid"] == n_params["knn"] == 0
    assert n_params["logistic"] == 1025 and n_params["mlp-small"] == 241
    for r in rows:
        assert 0.0 <= float(r["val_accuracy"]) <= 1.0
        assert 0.0 <= float(r["corrupted_memorized"]) <= 1.0


def test_committed_paper_records_hold_every_model_with_its_parameter_count():
    records = C.model_records("paper")
    assert set(records.model) == {"mlp", "qnn", *CONTROL_KINDS}
    assert len(records) == 400 + len(study_cells("controls", "paper"))
    counts = records.groupby(["dataset", "model"]).n_params.max()
    assert counts["mnist", "qnn"] == 240 and counts["xxz", "qnn"] == 192
    assert counts["mnist", "mlp"] == 16473 and counts["xxz", "mlp"] == 525409
    assert counts["xxz", "mlp-small"] == 193 and counts["mnist", "centroid"] == 0
