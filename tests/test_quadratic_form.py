"""The quadratic form s·ψ†Mψ: the norm bound by construction, its Lipschitz constant, its
phase invariance, the data-span reduction."""

from __future__ import annotations

import numpy as np
import torch

from qmlr.core.models import get_kind
from qmlr.core.models.quadratic_form import QuadraticForm, readout_sign, span_basis
from qmlr.core.separation import phase_invariant_distances


def unit_states(n: int, dim: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    s = torch.randn(n, dim, generator=gen, dtype=torch.complex128)
    return s / s.norm(dim=1, keepdim=True)


def test_operator_norm_is_at_most_one_and_the_logit_is_2s_lipschitz():
    states = unit_states(12, 8)
    qf = QuadraticForm(torch.as_tensor(span_basis(states.numpy())), seeds=(0, 1), scale=5.0)
    with torch.no_grad():
        qf.a.mul_(100.0)
    assert qf.operator_norms().max() <= 1 + 1e-9
    z = qf(states)
    assert z.shape == (2, 12)
    d = torch.as_tensor(phase_invariant_distances(states.numpy()))
    ratio = (z[:, :, None] - z[:, None, :]).abs() / d.clamp_min(1e-12)[None]
    assert ratio.max() <= 2 * 5.0 + 1e-9
    torch.testing.assert_close(qf(states * np.exp(0.9j)), z)


def test_span_basis_is_orthonormal_and_spans_the_states():
    states = unit_states(3, 6).numpy()
    q = span_basis(np.concatenate([states, 2 * states[:1]]))
    assert q.shape == (6, 3)
    np.testing.assert_allclose(q.conj().T @ q, np.eye(3), atol=1e-12)
    np.testing.assert_allclose(q @ (q.conj().T @ states.T), states.T, atol=1e-12)


def test_start_is_the_readout_observable_on_the_span():
    assert readout_sign(2).tolist() == [1.0, -1.0, 1.0, -1.0]
    basis = torch.eye(4, dtype=torch.complex128)
    start = torch.diag(torch.as_tensor(readout_sign(2))).to(torch.complex128)
    qf = QuadraticForm(basis, seeds=(0,), scale=5.0, start=start)
    z = qf(basis)[0]
    np.testing.assert_allclose(z.detach().numpy(), 5.0 * readout_sign(2), atol=0.3)


def test_kind_counts_a_hermitian_matrix_on_the_span():
    kind = get_kind("quadratic-form")
    qf = QuadraticForm(torch.eye(5, dtype=torch.complex64)[:, :3], seeds=(0, 1), scale=1.0)
    assert kind.n_params(qf) == [9, 9]
