"""Tests of qmlr.studies.curvature_study: specs, poison and split, export, recompute."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from qmlr.core.corrupt import corruption_count
from qmlr.core.curvature_metrics import measure
from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN
from qmlr.engine.store import CellResult, ResultStore
from qmlr.studies import curvature_study as S
from qmlr.studies.experiments import get_profile
from qmlr.studies.registry import SPEC_TYPES, STUDIES

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_specs_registry_and_round_trip():
    assert SPEC_TYPES[S.CurvatureSpec.kind] is S.CurvatureSpec
    assert STUDIES["curvature"].compute is S.compute_group
    paper = S.curvature_specs(get_profile("paper"))
    smoke = S.curvature_specs(get_profile("smoke"))
    # first reading 2 × 2, controls 5 (si), authors' series 2 × 2; each × α × runs
    assert len(paper) == (4 + 5 + 4) * 4 * 5 and len(smoke) == (4 + 5 + 4) * 2 * 1
    assert len({s.key() for s in paper}) == len(paper)
    for spec in paper[::7]:
        again = S.CurvatureSpec.from_dict(spec.to_dict())
        assert again == spec and again.key() == spec.key()
    si_mlp = next(s for s in paper if s.config == "si" and s.model.kind == "mlp")
    assert si_mlp.model.hidden == (16, 4) and si_mlp.model.precision == "double"
    assert (si_mlp.train.epochs, si_mlp.train.batch_size, si_mlp.train.lr) == (100, 128, 0.01)
    au_qnn = next(s for s in paper if s.config == "authors-code" and s.model.kind == "qnn")
    assert au_qnn.model.depth == 5 and au_qnn.ansatz == "rx-ry+cnot-ring"
    assert (au_qnn.train.epochs, au_qnn.train.batch_size, au_qnn.train.lr) == (50, 32, 0.01)
    with pytest.raises(ValueError, match="configuration"):
        dataclasses.replace(si_mlp, config="other")
    with pytest.raises(ValueError, match="authors-code"):
        dataclasses.replace(si_mlp, flips="train-unbalanced")
    with pytest.raises(ValueError, match="hessian_labels"):
        dataclasses.replace(si_mlp, hessian_labels="noisy")


def test_first_reading_keys_leave_out_the_new_fields():
    """The first reading's specs keep the keys they were stored under."""
    first = S.paper_specs(get_profile("paper"))
    assert first == S.curvature_specs(get_profile("paper"))[: len(first)]
    assert all("flips" not in s.to_dict() and "hessian_labels" not in s.to_dict() for s in first)
    store = ResultStore()
    stored = [s for s in first if store.has(s)]
    if not stored:
        pytest.skip("no committed paper-scale curvature results")
    assert len(stored) == len(first)
    later = S.authors_specs(get_profile("paper"))
    assert {s.to_dict()["hessian_labels"] for s in later} == {"clean"}
    controls = S.control_specs(get_profile("paper"))
    assert {s.model.kind for s in controls} == set(S.CONTROL_KINDS)
    assert {s.config for s in controls} == {"si"} and not any(s.complexified for s in controls)
    assert all(s.complexified == (s.model.kind == "qnn") for s in later)


def test_unbalanced_flips_touch_only_the_training_part():
    specs = S.authors_specs(get_profile("paper"))
    pick = {(s.model.kind, s.flips): s for s in specs if s.alpha == 0.3 and s.run == 2}
    mlp = S.run_data(pick["mlp", "train-unbalanced"])
    qnn = S.run_data(pick["qnn", "train-unbalanced"])
    np.testing.assert_array_equal(mlp.flipped, qnn.flipped)  # paired
    assert mlp.flipped.sum() == int(0.3 * 350) == 105
    assert mlp.flipped[mlp.train_rows].sum() == 105
    held = np.setdiff1d(np.arange(500), mlp.train_rows)
    assert not mlp.flipped[held].any() and np.isin(mlp.hessian_rows, held).all()
    counts = np.bincount(mlp.clean_y[mlp.flipped], minlength=2)
    assert counts.sum() == 105  # drawn whatever the class
    balanced = S.run_data(pick["mlp", "class-balanced"])
    first = next(
        s
        for s in S.paper_specs(get_profile("paper"))
        if (s.config, s.model.kind, s.alpha, s.run) == ("authors-code", "mlp", 0.3, 2)
    )
    again = S.run_data(first)
    np.testing.assert_array_equal(balanced.y, again.y)  # the same poison as the first reading
    np.testing.assert_array_equal(balanced.hessian_rows, mlp.hessian_rows)
    np.testing.assert_array_equal(balanced.train_rows, mlp.train_rows)


def test_run_data_poison_split_and_pairing():
    specs = S.curvature_specs(get_profile("paper"))
    pick = {(s.config, s.model.kind): s for s in specs if s.alpha == 0.4 and s.run == 1}
    si_mlp, si_qnn = S.run_data(pick["si", "mlp"]), S.run_data(pick["si", "qnn"])
    assert si_mlp.flipped.sum() == corruption_count(500, 0.4, "label_flip") == 200
    np.testing.assert_array_equal(si_mlp.flipped, si_qnn.flipped)  # paired poison
    np.testing.assert_array_equal(si_mlp.hessian_rows, si_qnn.hessian_rows)
    assert len(si_mlp.train_rows) == 500 and len(si_mlp.hessian_rows) == 100
    au = S.run_data(pick["authors-code", "mlp"])
    np.testing.assert_array_equal(au.flipped, si_mlp.flipped)
    held = np.setdiff1d(np.arange(500), au.train_rows)
    assert len(au.train_rows) == 350 and len(held) == 150
    assert np.isin(au.hessian_rows, held).all() and len(au.hessian_rows) == 100
    np.testing.assert_array_equal(
        au.hessian_rows, S.run_data(pick["authors-code", "qnn"]).hessian_rows
    )


def test_export_round_trips_through_the_store(tmp_path):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(10, 4, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (10,), generator=gen)
    flipped = np.zeros(10, dtype=bool)
    flipped[:2] = True
    results = []
    base = S.curvature_specs(get_profile("smoke"))
    for spec in base:
        torch.manual_seed(spec.run + int(10 * spec.alpha))
        if spec.model.kind == "mlp":
            model, xs = MLP(4, (3,), seeds=(int(10 * spec.alpha),), dtype=torch.float64), x
        else:
            model, xs = QNN(2, 1, seeds=(int(10 * spec.alpha),), dtype=torch.complex128), x
            xs = xs.to(torch.complex128) / torch.linalg.vector_norm(xs, dim=1, keepdim=True)
        metrics = {**measure(model, xs, y, flipped, spec.model.kind, 4, 20, 0), "dead": False}
        metrics.update(val_accuracy=0.5, train_accuracy=0.5)
        results.append(CellResult(spec, metrics, {"train_time_s": 0.0, "hessian_time_s": 0.0}))
    store = ResultStore(tmp_path)
    for r in results:
        store.save(r)
    loaded = [store.load(r.spec) for r in results]
    path = S.export(loaded, tmp_path / "curvature")
    frame = pd.read_csv(path)
    assert list(frame.columns) == list(S.RECORD_COLUMNS) and len(frame) == len(base)
    np.testing.assert_allclose(frame["trace"], S.records_frame(results)["trace"], rtol=1e-12)


def test_recompute_matches_stored_paper_result():
    """Recompute the cheapest committed paper run (authors-code MLP, α = 0, run 0), if present."""
    spec = next(
        s
        for s in S.curvature_specs(get_profile("paper"))
        if s.config == "authors-code" and s.model.kind == "mlp" and s.alpha == 0.0 and s.run == 0
    )
    store = ResultStore()
    if not store.has(spec):
        pytest.skip("no committed paper-scale curvature results")
    stored = store.load(spec).metrics
    fresh = S.compute_run(spec).metrics
    for key in ("trace", "lam_max", "lam_min", "val_accuracy", "train_accuracy"):
        assert fresh[key] == pytest.approx(stored[key], rel=1e-6, abs=1e-9), (spec.key(), key)
    assert fresh["dead"] == stored["dead"], spec.key()
