"""Tests of qmlr.core.complexified: the trace over complexified angles, three ways."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from qmlr.core import complexified as X
from qmlr.core import curvature as C
from qmlr.core.models.rxry import RxRyCnotQNN, cnot_ring_permutation, rxry_expectation

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _model_and_data(states, n_qubits=3, depth=2, n=7, seed=0):
    model = RxRyCnotQNN(n_qubits, depth, seeds=(seed,), dtype=torch.complex128)
    with torch.no_grad():
        model.theta.normal_(0.0, 1.0, generator=torch.Generator().manual_seed(seed + 1))
    x = states(n, n_qubits, seed=seed + 2)
    y = torch.randint(0, 2, (n,), generator=torch.Generator().manual_seed(seed + 3))
    return model, x, y


def _numpy_expectation(theta: np.ndarray, state: np.ndarray) -> float:
    """The circuit from dense gate matrices (scipy.linalg.expm of -iθP/2), complex angles."""
    depth, n_qubits, _ = theta.shape
    paulis = {"x": np.array([[0, 1], [1, 0]]), "y": np.array([[0, -1j], [1j, 0]])}
    perm = cnot_ring_permutation(n_qubits).numpy()
    psi = state.astype(complex)
    for layer in range(depth):
        for q in range(n_qubits):
            for g, pauli in ((0, "x"), (1, "y")):
                gate = scipy.linalg.expm(-0.5j * theta[layer, q, g] * paulis[pauli])
                full = np.kron(np.kron(np.eye(2**q), gate), np.eye(2 ** (n_qubits - q - 1)))
                psi = full @ psi
        psi = psi[perm]
    z = 1 - 2 * (np.arange(2**n_qubits) & 1)
    return float(np.sum(np.abs(psi) ** 2 * z))


def test_fast_path_with_complex_angles_matches_dense_gates(states):
    gen = torch.Generator().manual_seed(4)
    theta = torch.complex(
        torch.randn(2, 3, 2, dtype=torch.float64, generator=gen),
        0.3 * torch.randn(2, 3, 2, dtype=torch.float64, generator=gen),
    )
    x = states(4, 3, seed=5)
    fast = rxry_expectation(theta[None], x[None])[0].numpy()
    ref = [_numpy_expectation(theta.numpy(), s) for s in x.numpy()]
    np.testing.assert_allclose(fast, ref, atol=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_definition_and_identity_match_brute_force_autograd(states, seed):
    model, x, y = _model_and_data(states, seed=seed)
    loss_fn, v0 = X.complexified_loss_function(model, x, y)
    brute = torch.func.hessian(loss_fn)(v0)  # the 2P × 2P matrix the authors' code formed
    assert brute.shape == (24, 24)
    t = X.complexified_trace(model, x, y)
    np.testing.assert_allclose(t.trace, float(brute.trace()), rtol=1e-12)
    # the real-angle block is the ordinary Hessian
    real = torch.func.hessian(C.bce_loss_function(model, x, y)[0])(v0[:12])
    np.testing.assert_allclose(brute[:12, :12].numpy(), real.numpy(), atol=1e-12)
    np.testing.assert_allclose(t.trace_real, float(real.trace()), rtol=1e-12)
    np.testing.assert_allclose(X.identity_trace(model, x, y, t.trace_real), t.trace, rtol=1e-10)


def test_imaginary_block_differs_from_the_real_one_by_the_expectation(states):
    """Per angle: d²E/db² = d²E/da² + E, so tr_b ∇²z = tr_a ∇²z + P z."""
    model, x, _ = _model_and_data(states, seed=3)
    logits_fn, v0 = X.complexified_logits_function(model, x)
    n = v0.shape[0] // 2
    hess = torch.func.jacfwd(torch.func.jacrev(logits_fn))(v0)  # (B, 2P, 2P)
    diag = torch.diagonal(hess, dim1=1, dim2=2)
    with torch.no_grad():
        z = logits_fn(v0)
    np.testing.assert_allclose(
        diag[:, n:].sum(1).numpy(), (diag[:, :n].sum(1) + n * z).numpy(), atol=1e-10
    )


def test_a_holomorphic_loss_has_zero_complexified_trace():
    """The Cauchy–Riemann case: Re f(a + ib) of an analytic f is harmonic."""
    coeffs = torch.tensor([0.3, -1.2, 0.7], dtype=torch.complex128)

    def loss(v: torch.Tensor) -> torch.Tensor:
        theta = torch.complex(v[:3], v[3:])
        return torch.real((coeffs * torch.cos(theta)).sum() + torch.sin(theta).prod())

    v0 = torch.tensor([0.4, -0.2, 1.1, 0.0, 0.0, 0.0], dtype=torch.float64)
    hess = torch.func.hessian(loss)(v0)
    np.testing.assert_allclose(float(hess.trace()), 0.0, atol=1e-12)
    np.testing.assert_allclose(hess[3:, 3:].numpy(), -hess[:3, :3].numpy(), atol=1e-12)


def test_labels_must_match_the_samples(states):
    model, x, y = _model_and_data(states)
    with pytest.raises(ValueError, match="labels"):
        X.complexified_loss_function(model, x, y[:3])
