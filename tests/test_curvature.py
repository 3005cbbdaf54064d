"""Tests of qmlr.core.curvature against torch.func.hessian and tensorcircuit-ng, on small models."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlr.core import curvature as C
from qmlr.core.mlp import MLP
from qmlr.core.qnn import QNN, reference_expectations


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Two threads on a busy two-core machine are many times slower for these small products;
    restore the setting afterwards."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _data(n: int, d: int, seed: int, complex_: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, dtype=torch.float64, generator=gen)
    if complex_:
        x = torch.complex(x, torch.randn(n, d, dtype=torch.float64, generator=gen))
    x = x / torch.linalg.vector_norm(x, dim=1, keepdim=True)
    y = torch.randint(0, 2, (n,), generator=gen)
    return x, y


def _train(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 60) -> None:
    """A few Adam steps so the Hessian is taken at a non-trivial point."""
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(steps):
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            model(x[None])[0], y.to(torch.float64)
        )
        opt.zero_grad()
        loss.backward()
        opt.step()


@pytest.fixture(scope="module")
def tiny_mlp():
    x, y = _data(24, 6, seed=0)
    model = MLP(6, (5, 3), seeds=(1,), dtype=torch.float64)
    _train(model, x, y)
    loss_fn, w0 = C.bce_loss_function(model, x, y)
    reference = torch.func.hessian(loss_fn)(w0)
    return model, x, y, reference


@pytest.fixture(scope="module")
def small_qnn():
    x, y = _data(8, 16, seed=2, complex_=True)
    model = QNN(4, 2, seeds=(3,), dtype=torch.complex128)
    with torch.no_grad():
        model.theta.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(4))
    loss_fn, w0 = C.bce_loss_function(model, x, y)
    reference = torch.func.hessian(loss_fn)(w0)
    return model, x, y, reference


@pytest.mark.parametrize("which", ["tiny_mlp", "small_qnn"])
def test_full_hessian_trace_and_diagonal_match_torch_hessian(which, request):
    model, x, y, reference = request.getfixturevalue(which)
    op = C.hessian_operator(model, x, y, chunk=7)  # chunk not dividing n exercises the tail
    h = C.full_hessian(op)
    np.testing.assert_allclose(h.numpy(), reference.numpy(), atol=1e-12, rtol=1e-10)
    np.testing.assert_allclose(
        C.hessian_diagonal(op, chunk=5).numpy(), torch.diagonal(reference).numpy(), atol=1e-12
    )
    assert C.exact_trace(op) == pytest.approx(float(reference.trace()), abs=1e-11)


@pytest.mark.parametrize("which", ["tiny_mlp", "small_qnn"])
def test_extreme_eigenvalues_match_eigvalsh(which, request):
    model, x, y, reference = request.getfixturevalue(which)
    ev = torch.linalg.eigvalsh(reference).numpy()
    assert ev[0] < 0 < ev[-1]  # indefinite: LA/SA must not confuse the ends
    ext = C.extreme_eigenvalues(C.hessian_operator(model, x, y), tol=1e-10)
    assert ext.converged
    np.testing.assert_allclose([ext.lam_max, ext.lam_min], [ev[-1], ev[0]], atol=1e-9)


def test_qnn_hessian_matches_tensorcircuit_reference(small_qnn):
    model, x, y, reference = small_qnn
    w0 = model.theta.detach().reshape(-1).clone()

    def reference_loss(w: torch.Tensor) -> torch.Tensor:
        m = reference_expectations(w.view(2, 4, 4), x, method="vmap")
        return torch.nn.functional.binary_cross_entropy_with_logits(5.0 * m, y.to(torch.float64))

    h_tc = torch.func.hessian(reference_loss)(w0)
    np.testing.assert_allclose(reference.numpy(), h_tc.numpy(), atol=1e-12)
    h_fast = C.full_hessian(C.hessian_operator(model, x, y))
    np.testing.assert_allclose(h_fast.numpy(), h_tc.numpy(), atol=1e-12)


@pytest.mark.parametrize("which", ["tiny_mlp", "small_qnn"])
def test_slq_weights_moments_and_extremes(which, request):
    model, x, y, reference = request.getfixturevalue(which)
    op = C.hessian_operator(model, x, y)
    n = op.size
    ev = torch.linalg.eigvalsh(reference).numpy()
    rho = C.slq(op, probes=300, steps=min(12, n), seed=3)
    np.testing.assert_allclose(rho.weights.sum(axis=1), 1.0, atol=1e-12)
    assert rho.total_weight() == pytest.approx(1.0, abs=1e-12)
    # per probe, the first moment of the Gauss rule is exactly vᵀHv / |v|²
    v = C.rademacher(300, n, seed=3)
    quad = ((v @ reference) * v).sum(dim=1).numpy() / n
    np.testing.assert_allclose((rho.nodes * rho.weights).sum(axis=1), quad, atol=1e-12)
    # and over probes it estimates tr H / n (tolerance: 5 standard errors)
    se = quad.std(ddof=1) / np.sqrt(len(quad))
    assert abs(rho.moment(1) - ev.sum() / n) < 5 * se
    # extreme Ritz values lie inside the spectrum and approach its ends
    assert ev[0] - 1e-10 <= rho.flat_nodes.min() and rho.flat_nodes.max() <= ev[-1] + 1e-10
    full = C.slq(op, probes=2, steps=n, seed=5)
    np.testing.assert_allclose([full.flat_nodes.min(), full.flat_nodes.max()], ev[[0, -1]],
                               atol=1e-8)  # fmt: skip


def test_slq_density_integrates_to_one_and_negative_measures():
    rng = np.random.default_rng(0)
    q, _ = np.linalg.qr(rng.standard_normal((30, 30)))
    ev = np.concatenate([-np.array([2.0, 1.0]), np.zeros(20), np.linspace(1, 10, 8)])
    op = C.MatrixOperator(torch.as_tensor(q @ np.diag(ev) @ q.T))
    rho = C.slq(op, probes=50, steps=30, seed=1)
    grid = np.linspace(-5, 15, 4001)
    integral = np.trapezoid(rho.density(grid, sigma=0.2), grid)
    assert integral == pytest.approx(1.0, abs=1e-6)
    exact = C.summarize_spectrum(ev)
    assert exact.negative_mass == pytest.approx(2 / 30)
    assert exact.negative_share == pytest.approx(3.0 / (3.0 + ev[ev > 0].sum()))
    assert exact.negative_sum == pytest.approx(-3.0)
    # full-length Lanczos: the nodes are the eigenvalues; only the weights are random
    np.testing.assert_allclose(rho.flat_nodes.min(), -2.0, atol=1e-10)
    assert rho.negative_share() == pytest.approx(exact.negative_share, rel=0.3)


def test_lanczos_breakdown_keeps_a_valid_quadrature():
    # three distinct eigenvalues: the Krylov space is exhausted after 3 steps
    ev = np.array([1.0, 1.0, 1.0, 4.0, 4.0, -2.0])
    op = C.MatrixOperator(torch.diag(torch.as_tensor(ev)))
    rho = C.slq(op, probes=3, steps=6, seed=0)
    np.testing.assert_allclose(rho.weights.sum(axis=1), 1.0, atol=1e-12)
    used = rho.flat_weights > 1e-12
    assert np.all(np.min(np.abs(rho.flat_nodes[used][:, None] - ev[None]), axis=1) < 1e-10)
    assert rho.moment(1) == pytest.approx(ev.mean(), abs=1e-12)  # Rademacher: vᵀDv = tr D


def test_hutchinson_within_a_few_standard_errors(small_qnn):
    *_, reference = small_qnn
    op = C.MatrixOperator(reference)
    est = C.hutchinson_trace(op, probes=400, seed=11)
    assert est.stderr > 0
    assert abs(est.estimate - float(reference.trace())) < 4 * est.stderr


def test_gauss_newton_split(tiny_mlp, small_qnn):
    # ReLU MLP: z is piecewise linear in every single weight, so Term B has a zero diagonal
    model, x, y, reference = tiny_mlp
    split = C.gauss_newton_split(model, x, float(reference.trace()), with_matrix=True)
    assert split.trace_a > 0
    assert abs(split.trace_b) < 1e-12 * split.trace_a
    # QNN: A = mean p(1-p) ∇z∇zᵀ and H - A = mean (p - y) ∇²z
    model, x, y, reference = small_qnn
    split = C.gauss_newton_split(model, x, float(reference.trace()), with_matrix=True)
    logits_fn, w0 = C.logits_function(model, x)
    p = torch.sigmoid(logits_fn(w0)).detach()
    hz = torch.func.hessian(logits_fn)(w0)  # (B, n, n)
    term_b = torch.einsum("b,bij->ij", (p - y) / len(y), hz)
    np.testing.assert_allclose((reference - split.matrix_a).numpy(), term_b.numpy(), atol=1e-12)
    assert split.trace_b == pytest.approx(float(term_b.trace()), abs=1e-12)
    jac = C.logit_jacobian(model, x, chunk=3)
    np.testing.assert_allclose(jac.numpy(), torch.func.jacrev(logits_fn)(w0).numpy(), atol=1e-13)


def test_fresh_qnn_inside_transforms():
    # a qubit count no other test uses: its Z-sign table is first built by this call
    x, y = _data(5, 32, seed=7, complex_=True)
    model = QNN(5, 1, seeds=(0,), dtype=torch.complex128)
    h = C.full_hessian(C.hessian_operator(model, x, y))
    np.testing.assert_allclose(h.numpy(), h.T.numpy(), atol=1e-12)


def test_bad_inputs_raise():
    x, y = _data(4, 3, seed=0)
    with pytest.raises(ValueError, match="E=2"):
        C.hessian_operator(MLP(3, (2,), seeds=(0, 1), dtype=torch.float64), x, y)
    with pytest.raises(ValueError, match="float64"):
        C.hessian_operator(MLP(3, (2,), seeds=(0,)), x, y)
    with pytest.raises(ValueError, match="labels"):
        C.bce_loss_function(MLP(3, (2,), dtype=torch.float64), x, y[:2])
    op = C.MatrixOperator(torch.eye(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="steps"):
        C.lanczos(op, torch.ones(1, 3, dtype=torch.float64), steps=4)
    with pytest.raises(ValueError, match="probes"):
        C.hutchinson_trace(op, probes=1)
    with pytest.raises(ValueError, match="sigma"):
        C.SpectralDensity.from_eigenvalues(np.ones(2)).density(np.zeros(1), 0.0)
