"""Finite-shot readout (qmlr.core.shots) and the shots study's cells and records."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlr.core.qnn import QNN
from qmlr.core.shots import ShotNoisyQNN, estimate_expectation, shot_logits
from qmlr.engine.profiles import get_profile
from qmlr.engine.specs import CellSpec
from qmlr.engine.store import CellResult
from qmlr.studies import shots_study as SH


def test_estimate_is_unbiased_with_binomial_variance() -> None:
    m = np.full(200_000, 0.3)
    est = estimate_expectation(m, 100, np.random.default_rng(0))
    np.testing.assert_allclose(est.mean(), 0.3, atol=2e-3)
    np.testing.assert_allclose(est.var(), (1 - 0.3**2) / 100, rtol=0.02)
    # on the grid 2k/N - 1
    np.testing.assert_allclose((est + 1) * 50, np.round((est + 1) * 50), atol=1e-9)


def test_exact_and_bad_shots() -> None:
    m = np.array([0.2, -0.7])
    np.testing.assert_allclose(estimate_expectation(m, 0, np.random.default_rng(0)), m)
    np.testing.assert_allclose(shot_logits(m, 0, np.random.default_rng(0)), 5 * m)
    with pytest.raises(ValueError):
        estimate_expectation(m, -1, np.random.default_rng(0))
    with pytest.raises(ValueError):
        ShotNoisyQNN(3, 1, shots=0)


def test_shot_noisy_qnn_uses_the_exact_gradient_and_is_exact_without_grad() -> None:
    x = torch.eye(8, dtype=torch.complex128)[:5]
    exact = QNN(3, 2, seeds=(4,), dtype=torch.complex128)
    noisy = ShotNoisyQNN(3, 2, seeds=(4,), dtype=torch.complex128, shots=10, noise_seed=1)
    with torch.no_grad():
        np.testing.assert_allclose(noisy(x).numpy(), exact(x).numpy())
    out = noisy(x)
    assert not np.allclose(out.detach().numpy(), exact(x).detach().numpy())  # 10 shots: noisy
    np.testing.assert_allclose(((out.detach() / 5 + 1) * 5).numpy() % 1, 0, atol=1e-9)
    out.sum().backward()
    exact(x).sum().backward()
    np.testing.assert_allclose(noisy.theta.grad.numpy(), exact.theta.grad.numpy(), atol=1e-12)


def test_cells_pair_with_the_resilience_study() -> None:
    cells = SH.shots_cells(get_profile("paper"))
    assert len(cells) == len(SH.CORRUPTIONS) * 2 * 50 + 50
    trained = [c for c in cells if c.model.shots]
    assert len(trained) == 50 and {c.data.name for c in trained} == {SH.TRAIN_SHOTS_DATASET}
    from qmlr.studies.registry import study_cells

    resilience = {c.model_seed(): c for c in study_cells("resilience", "paper")}
    for c in cells:
        twin = resilience[c.model_seed()]  # same seeds as a resilience QNN cell
        assert twin.model.kind == "qnn" and twin.poison_seed() == c.poison_seed()
    # the plan runs the exact label-flipping cells first
    first = SH.plan(cells)[0][0]
    assert first.corruption == "label_flip" and first.model.shots == 0


def test_shot_rows_expand_each_cell() -> None:
    cell = SH.shots_cells(get_profile("tiny"))[0]
    metrics = {"val_accuracy": 0.9, "train_accuracy": 1.0, "params": [0.1, 0.2]}
    metrics |= {f"val_accuracy_shots_{s}": 0.5 + s / 1e4 for s in SH.EVAL_SHOTS}
    rows = SH.shot_rows(CellResult(cell, metrics, {}))
    assert [r["shots"] for r in rows] == [0, *SH.EVAL_SHOTS]
    np.testing.assert_allclose([r["val_accuracy"] for r in rows], [0.9, 0.501, 0.51, 0.6])
    assert all(r["train_shots"] == 0 and "params" not in r for r in rows)
    assert isinstance(cell, CellSpec)
