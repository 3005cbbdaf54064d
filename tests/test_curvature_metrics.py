"""Tests of qmlr.core.curvature_metrics: every measurement against torch.func.hessian."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlr.core import curvature as C
from qmlr.core.curvature_metrics import is_dead, measure
from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_is_dead():
    assert is_dead(np.full(10, 0.003))
    assert not is_dead(np.array([0.0, 1e-3]))


def _measure(model, x, y, flipped, kind):
    return measure(model, x, y, flipped, kind, slq_probes=4, slq_steps=20, seed=0)


def test_measure_mlp_and_qnn_are_consistent(states):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(12, 6, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (12,), generator=gen)
    flipped = np.zeros(12, dtype=bool)
    flipped[[1, 5, 8]] = True
    mlp = MLP(6, (5, 3), seeds=(2,), dtype=torch.float64)
    m = _measure(mlp, x, y, flipped, "mlp")
    loss_fn, w0 = C.bce_loss_function(mlp, x, y)
    ev = torch.linalg.eigvalsh(torch.func.hessian(loss_fn)(w0)).numpy()
    assert m["trace"] == pytest.approx(ev.sum(), abs=1e-12)
    assert m["lam_max"] == pytest.approx(ev[-1], abs=1e-8)
    assert m["lam_min"] == pytest.approx(ev[0], abs=1e-8)
    assert abs(m["trace_residual"]) < 1e-12 * m["trace_gauss_newton"]
    assert np.sum(m["slq_weights"]) == pytest.approx(4.0)

    xq = states(12, 3, seed=1)
    qnn = QNN(3, 2, seeds=(3,), dtype=torch.complex128)
    with torch.no_grad():
        qnn.theta.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(5))
    q = _measure(qnn, xq, y, flipped, "qnn")
    ev = np.asarray(q["eigenvalues"])
    assert q["trace"] == pytest.approx(ev.sum(), abs=1e-12)
    assert q["lam_min"] == ev[0] and q["lam_max"] == ev[-1]
    assert q["lam_min_eigsh"] == pytest.approx(ev[0], abs=1e-8)
    # Term B of the flipped samples = (1/N) Σ_{flipped} (p − y) tr ∇²z, straight from autograd
    logits_fn, w0 = C.logits_function(qnn, xq)
    p = torch.sigmoid(logits_fn(w0)).detach()
    tr_hz = torch.diagonal(torch.func.hessian(logits_fn)(w0), dim1=1, dim2=2).sum(dim=1)
    expect = float(((p - y) * tr_hz)[torch.as_tensor(flipped)].sum() / 12)
    assert q["trace_residual_flipped"] == pytest.approx(expect, abs=1e-12)
    assert q["n_hessian_flipped"] == 3


def test_arpack_failure_falls_back_to_the_slq_nodes(monkeypatch):
    def no_eigenvalue(*args, **kwargs):
        raise RuntimeError("ARPACK found no eigenvalue (SA); raise maxiter or ncv")

    gen = torch.Generator().manual_seed(3)
    x = torch.randn(8, 5, dtype=torch.float64, generator=gen)
    y = torch.randint(0, 2, (8,), generator=gen)
    mlp = MLP(5, (3,), seeds=(1,), dtype=torch.float64)
    monkeypatch.setattr(C, "extreme_eigenvalues", no_eigenvalue)
    m = measure(mlp, x, y, np.zeros(8, dtype=bool), "logistic", 2, 10, 0)
    assert m["eigsh_converged"] is False and np.isnan(m["lam_max_eigsh"])
    assert m["lam_max"] == m["slq_lam_max"] and m["lam_min"] == m["slq_lam_min"]
    assert "SLQ" in m["extremes_method"]
