"""Tests of qmlr.core.models.rxry: the authors' RX-RY + CNOT-ring QNN against tensorcircuit-ng."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlr.core.models import get_kind
from qmlr.core.models import rxry as R
from qmlr.engine.specs import DataSpec, ModelSpec

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize(("n_qubits", "depth"), [(4, 3), (5, 2)])
def test_rxry_fast_path_matches_tensorcircuit(n_qubits, depth, states):
    gen = torch.Generator().manual_seed(n_qubits)
    params = torch.randn(1, depth, n_qubits, 2, dtype=torch.float64, generator=gen)
    states = states(6, n_qubits, seed=depth)
    fast = R.rxry_expectation(params, states[None])[0]
    ref = torch.stack([R.rxry_reference_expectation(params[0], s) for s in states])
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), atol=1e-13)
    # gradients agree too (the Hessian study differentiates the fast path twice)
    g_fast = torch.func.grad(lambda p: R.rxry_expectation(p, states[None]).sum())(params)
    g_ref = torch.func.grad(
        lambda p: torch.stack([R.rxry_reference_expectation(p[0], s) for s in states]).sum()
    )(params)
    np.testing.assert_allclose(g_fast.numpy(), g_ref.numpy(), atol=1e-12)


def test_cnot_ring_permutation_matches_gate_matrices():
    n = 3
    eye, x_gate = np.eye(2), np.array([[0, 1], [1, 0]])
    p0, p1 = np.diag([1, 0]), np.diag([0, 1])

    def cnot(c: int, t: int) -> np.ndarray:
        a = [eye] * n
        b = [eye] * n
        a[c], b[c], b[t] = p0, p1, x_gate
        kron = lambda ops: ops[0] if len(ops) == 1 else np.kron(ops[0], kron(ops[1:]))  # noqa: E731
        return kron(a) + kron(b)

    ring = np.eye(2**n)
    for q in range(n):
        ring = cnot(q, (q + 1) % n) @ ring
    psi = np.arange(2**n, dtype=float)
    np.testing.assert_array_equal(ring @ psi, psi[R.cnot_ring_permutation(n).numpy()])


def test_rxry_model_shapes_and_init():
    model = R.RxRyCnotQNN(10, 5, seeds=(7,), dtype=torch.complex128)
    assert model.theta.shape == (1, 5, 10, 2) and model.theta.dtype == torch.float64
    assert float(model.theta.detach().std()) == pytest.approx(0.01, rel=0.3)
    with pytest.raises(ValueError, match="inputs"):
        model(torch.zeros(2, 3, 1024))


def test_registered_kind_builds_the_authors_qnn():
    kind = get_kind("qnn-rxry")
    spec = ModelSpec("qnn-rxry", depth=5, precision="double")
    net = kind.build(spec, DataSpec("mnist"), 1024, [7])
    direct = R.RxRyCnotQNN(10, 5, seeds=(7,), dtype=torch.complex128)
    np.testing.assert_array_equal(net.theta.detach().numpy(), direct.theta.detach().numpy())
    assert kind.n_params(net) == [100]
    with pytest.raises(ValueError, match="2\\*\\*L"):
        kind.build(ModelSpec("qnn-rxry", depth=1), DataSpec("mnist"), 1000, [0])
