"""Tests for qmlr.core.qnn: gate conventions, fast path vs the tensorcircuit reference, the
module."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import tensorcircuit as tc
import tensornetwork as tn
import torch

from qmlr.core import qnn

X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.array([[1, 0], [0, -1]], dtype=complex)
ANGLES = [-2.7, -0.4, 0.0, 0.3, 1.9, np.pi]


def random_states(shape: tuple[int, ...], n_qubits: int, seed: int) -> torch.Tensor:
    """Random normalized complex128 states of shape ``shape + (2**n_qubits,)``."""
    gen = torch.Generator().manual_seed(seed)
    psi = torch.randn(*shape, 2**n_qubits, generator=gen, dtype=torch.complex128)
    return psi / torch.linalg.vector_norm(psi, dim=-1, keepdim=True)


def random_params(shape: tuple[int, ...], seed: int) -> torch.Tensor:
    """N(0, 1) angles (large enough that every gate matters)."""
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=gen, dtype=torch.float64)


def tc_gate(gate: tc.gates.Gate) -> np.ndarray:
    """A tensorcircuit gate as a square matrix (first qubit = most significant bit)."""
    mat = gate.tensor.detach().numpy()
    dim = int(np.sqrt(mat.size))
    return mat.reshape(dim, dim)


def tc_state(params: torch.Tensor, state: torch.Tensor) -> np.ndarray:
    """Final state of the ansatz built gate by gate with tensorcircuit (complex128)."""
    with qnn.tc_torch_backend(torch.complex128):
        return qnn.reference_circuit(params, state).state().detach().numpy()


# ------------------------------------------------------------------ backend context manager


def test_tc_torch_backend_sets_and_restores() -> None:
    before = (tc.backend.name, tc.dtypestr, tc.rdtypestr)
    tn_before = tn.backend_contextmanager.get_default_backend()
    with qnn.tc_torch_backend(torch.complex128) as backend:
        assert backend.name == "pytorch"
        assert (tc.backend.name, tc.dtypestr, tc.rdtypestr) == ("pytorch", "complex128", "float64")
    assert (tc.backend.name, tc.dtypestr, tc.rdtypestr) == before
    assert tn.backend_contextmanager.get_default_backend() == tn_before
    with qnn.tc_torch_backend("complex64"):
        assert tc.dtypestr == "complex64"
    assert (tc.backend.name, tc.dtypestr, tc.rdtypestr) == before


def test_tc_torch_backend_restores_on_error() -> None:
    before = (tc.backend.name, tc.dtypestr)
    with pytest.raises(RuntimeError, match="boom"):
        with qnn.tc_torch_backend(torch.complex128):
            raise RuntimeError("boom")
    assert (tc.backend.name, tc.dtypestr) == before
    # the reference leaves the globals untouched too, also when it fails validation
    qnn.reference_expectation(torch.zeros(1, 2, 4), torch.ones(4) / 2)
    with pytest.raises(ValueError):
        qnn.reference_expectation(torch.zeros(1, 2, 4), torch.ones(8))
    assert (tc.backend.name, tc.dtypestr) == before


def test_tc_torch_backend_rejects_bad_dtype() -> None:
    with pytest.raises(ValueError, match="complex64 or torch.complex128"):
        with qnn.tc_torch_backend(torch.float32):
            pass


# ------------------------------------------------------------------ gate conventions


@pytest.mark.parametrize("t", ANGLES)
def test_tensorcircuit_gate_conventions(t: float) -> None:
    """tc's rx/ry/rzz are exp(-i t P / 2): the 1/2 is inside, for RZZ too.

    Angles go in as float64 tensors: on tc's torch backend a Python float becomes a float32
    tensor before the cast to complex128 (an error of ~1e-8).
    """
    theta = torch.tensor(t, dtype=torch.float64)
    with qnn.tc_torch_backend(torch.complex128):
        rx = tc_gate(tc.gates.rx_gate(theta=theta))
        ry = tc_gate(tc.gates.ry_gate(theta=theta))
        rzz = tc_gate(tc.gates.rzz_gate(theta=theta))
    np.testing.assert_allclose(rx, scipy.linalg.expm(-0.5j * t * X), atol=1e-14)
    np.testing.assert_allclose(ry, scipy.linalg.expm(-0.5j * t * Y), atol=1e-14)
    np.testing.assert_allclose(rzz, scipy.linalg.expm(-0.5j * t * np.kron(Z, Z)), atol=1e-14)
    # and not exp(-i t ZZ), the other common convention
    if not np.isclose(np.sin(t / 2), 0.0):
        assert not np.allclose(rzz, scipy.linalg.expm(-1j * t * np.kron(Z, Z)))


def test_fused_rotations_match_expm() -> None:
    angles = random_params((5, 3), seed=1)
    fused = qnn.fused_rotations(angles, torch.complex128).numpy()
    for (t0, t1, t2), u in zip(angles.numpy(), fused, strict=True):
        expected = (
            scipy.linalg.expm(-0.5j * t2 * X)
            @ scipy.linalg.expm(-0.5j * t1 * Y)
            @ scipy.linalg.expm(-0.5j * t0 * X)
        )
        np.testing.assert_allclose(u, expected, atol=1e-14)


def test_z_signs_qubit_zero_is_most_significant() -> None:
    signs = qnn.z_signs(3).numpy()
    assert signs.shape == (3, 8)
    np.testing.assert_array_equal(signs[0], [1, 1, 1, 1, -1, -1, -1, -1])
    np.testing.assert_array_equal(signs[2], [1, -1, 1, -1, 1, -1, 1, -1])


def test_rx_pi_on_qubit_zero_flips_most_significant_bit() -> None:
    n_qubits = 4
    zero = torch.zeros(2**n_qubits, dtype=torch.complex128)
    zero[0] = 1
    with qnn.tc_torch_backend(torch.complex128):
        c = tc.Circuit(n_qubits, inputs=zero)
        c.rx(0, theta=torch.tensor(np.pi, dtype=torch.float64))
        tc_out = c.state().detach().numpy()
    params = torch.zeros(1, 1, n_qubits, 4, dtype=torch.float64)
    params[0, 0, 0, 0] = np.pi
    fast_out = qnn.evolve(params, zero[None, None])[0, 0].numpy()
    expected = np.zeros(2**n_qubits, dtype=complex)
    expected[2 ** (n_qubits - 1)] = -1j  # RX(pi) = -iX
    np.testing.assert_allclose(tc_out, expected, atol=1e-14)
    np.testing.assert_allclose(fast_out, expected, atol=1e-14)


@pytest.mark.parametrize("qubit, expected", [(0, 1.0), (2, 1.0), (3, -1.0)])
def test_readout_is_z_on_last_qubit(qubit: int, expected: float) -> None:
    """Flipping qubit q of |0000> changes <Z> only when q is the last qubit."""
    params = torch.zeros(1, 4, 4, dtype=torch.float64)
    params[0, qubit, 0] = np.pi
    zero = torch.zeros(16, dtype=torch.complex128)
    zero[0] = 1
    ref = qnn.reference_expectation(params, zero)
    fast = qnn.expectation(params[None], zero[None, None])
    np.testing.assert_allclose(ref.item(), expected, atol=1e-14)
    np.testing.assert_allclose(fast.item(), expected, atol=1e-14)


@pytest.mark.parametrize("t", [0.7, -2.1])
def test_rzz_ring_phases(t: float) -> None:
    """RZZ(t) on pair (i, i+1 mod L) multiplies |k> by exp(-i t/2 s_i s_{i+1})."""
    n_qubits = 3
    basis = torch.eye(2**n_qubits, dtype=torch.complex128)
    signs = qnn.z_signs(n_qubits).numpy()
    for pair in range(n_qubits):
        params = torch.zeros(1, 1, n_qubits, 4, dtype=torch.float64)
        params[0, 0, pair, 3] = t
        fast = qnn.evolve(params, basis[None])[0].numpy()  # row k = image of |k>
        zz = signs[pair] * signs[(pair + 1) % n_qubits]
        np.testing.assert_allclose(fast, np.diag(np.exp(-0.5j * t * zz)), atol=1e-14)
        np.testing.assert_allclose(tc_state(params[0], basis[5]), fast[5], atol=1e-14)


def test_final_states_match_tensorcircuit() -> None:
    params = random_params((2, 5, 4), seed=2)
    states = random_states((2,), 5, seed=3)
    fast = qnn.evolve(params[None], states[None])[0].numpy()
    for b in range(2):
        np.testing.assert_allclose(fast[b], tc_state(params, states[b]), atol=1e-12)


# ------------------------------------------------------------------ fast path vs reference


@pytest.mark.parametrize("n_qubits, depth", [(10, 1), (10, 3), (12, 2), (12, 4), (7, 2)])
def test_fast_path_matches_reference_values_and_gradients(n_qubits: int, depth: int) -> None:
    n_ens, n_batch = 3, 2
    seed = 100 * n_qubits + depth
    params = random_params((n_ens, depth, n_qubits, 4), seed=seed).requires_grad_()
    states = random_states((n_ens, n_batch), n_qubits, seed=seed + 1)
    weights = random_params((n_ens, n_batch), seed=seed + 2)

    fast = qnn.expectation(params, states)
    assert fast.shape == (n_ens, n_batch) and fast.dtype == torch.float64
    (fast_grad,) = torch.autograd.grad((weights * fast).sum(), params)

    ref = torch.stack([qnn.reference_expectations(params[e], states[e]) for e in range(n_ens)])
    (ref_grad,) = torch.autograd.grad((weights * ref).sum(), params)

    np.testing.assert_allclose(fast.detach().numpy(), ref.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(fast_grad.numpy(), ref_grad.numpy(), atol=1e-10)
    # members differ (different parameters), and gradients are not trivially zero
    assert np.ptp(fast.detach().numpy()[:, 0]) > 1e-3
    assert np.abs(fast_grad.numpy()).max() > 1e-3


def test_fast_path_hessian_vector_products_match_reference() -> None:
    """The fast path is twice differentiable (curvature studies): HVPs equal the reference's."""
    params = random_params((2, 5, 4), seed=30)
    states = random_states((3,), 5, seed=31)
    weights = random_params((3,), seed=32)
    vector = random_params((2, 5, 4), seed=33)

    def fast(p: torch.Tensor) -> torch.Tensor:
        return (weights * qnn.expectation(p[None], states[None])[0]).sum()

    def ref(p: torch.Tensor) -> torch.Tensor:
        return (weights * qnn.reference_expectations(p, states, method="loop")).sum()

    _, fast_hvp = torch.autograd.functional.hvp(fast, params, vector)
    _, ref_hvp = torch.autograd.functional.hvp(ref, params, vector)
    np.testing.assert_allclose(fast_hvp.numpy(), ref_hvp.numpy(), atol=1e-10)
    assert np.abs(fast_hvp.numpy()).max() > 1e-3


def test_reference_vmap_equals_loop() -> None:
    params = random_params((2, 6, 4), seed=5)
    states = random_states((3,), 6, seed=6)
    by_vmap = qnn.reference_expectations(params, states, method="vmap")
    by_loop = qnn.reference_expectations(params, states, method="loop")
    np.testing.assert_allclose(by_vmap.numpy(), by_loop.numpy(), atol=1e-14)
    with pytest.raises(ValueError, match="vmap"):
        qnn.reference_expectations(params, states, method="jit")


def test_global_phase_invariance() -> None:
    params = random_params((2, 3, 10, 4), seed=7)
    states = random_states((2, 4), 10, seed=8)
    phases = torch.exp(1j * random_params((2, 4, 1), seed=9))
    np.testing.assert_allclose(
        qnn.expectation(params, states * phases).numpy(),
        qnn.expectation(params, states).numpy(),
        atol=1e-13,
    )


def test_complex64_agrees_with_complex128() -> None:
    params = random_params((2, 4, 12, 4), seed=10)
    states = random_states((2, 4), 12, seed=11)
    high = qnn.expectation(params, states)
    low = qnn.expectation(params.float(), states.to(torch.complex64))
    assert low.dtype == torch.float32
    np.testing.assert_allclose(low.double().numpy(), high.numpy(), atol=1e-5)


def test_real_states_are_cast_to_complex() -> None:
    params = random_params((1, 2, 4, 4), seed=12)
    states = random_states((1, 3), 4, seed=13).real
    np.testing.assert_allclose(
        qnn.expectation(params, states).numpy(),
        qnn.expectation(params, states.to(torch.complex128)).numpy(),
        atol=1e-15,
    )


def test_sign_tables_built_in_inference_mode_still_train() -> None:
    """A table first cached under inference_mode must not break later autograd use."""
    qnn._sign_tables.cache_clear()
    params = random_params((1, 1, 9, 4), seed=14).requires_grad_()
    states = random_states((1, 2), 9, seed=15)
    with torch.inference_mode():
        qnn.expectation(params, states)
    qnn.expectation(params, states).sum().backward()
    assert params.grad is not None


@pytest.mark.parametrize(
    "params_shape, states_shape, message",
    [
        ((1, 2, 4, 4), (1, 3, 8), "2\\*\\*4"),
        ((2, 2, 4, 4), (3, 3, 16), "ensemble sizes differ"),
        ((2, 4, 4), (1, 3, 16), "\\(E, depth, n_qubits, 4\\)"),
        ((1, 2, 4, 3), (1, 3, 16), "n_qubits, 4\\)"),
        ((1, 2, 4, 4), (3, 16), "\\(E, B, 2\\*\\*L\\)"),
        ((1, 2, 1, 4), (1, 3, 2), "at least 2 qubits"),
    ],
)
def test_expectation_rejects_bad_shapes(
    params_shape: tuple[int, ...], states_shape: tuple[int, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        qnn.expectation(torch.zeros(params_shape), torch.zeros(states_shape, dtype=torch.complex64))


# ------------------------------------------------------------------ the module


def test_qnn_forward_is_five_times_expectation() -> None:
    model = qnn.QNN(10, 2, seeds=(0, 1, 2), dtype=torch.complex128)
    assert isinstance(model, torch.nn.Module)
    with torch.no_grad():
        model.theta.copy_(random_params(tuple(model.theta.shape), seed=16))
    states = random_states((3, 4), 10, seed=17)
    logits = model(states)
    assert logits.shape == (3, 4) and logits.dtype == torch.float64
    np.testing.assert_allclose(
        logits.detach().numpy(), 5 * qnn.expectation(model.theta, states).detach().numpy()
    )
    ref = [qnn.reference_expectations(model.theta[e], states[e]) for e in range(3)]
    np.testing.assert_allclose(
        logits.detach().numpy(), 5 * torch.stack(ref).detach().numpy(), atol=1e-10
    )


def test_qnn_broadcasts_shared_inputs_and_casts_real_inputs() -> None:
    model = qnn.QNN(6, 2, seeds=(3, 4), dtype=torch.complex128)
    states = random_states((5,), 6, seed=18)
    shared = model(states)
    np.testing.assert_allclose(
        shared.detach().numpy(), model(states.expand(2, -1, -1)).detach().numpy()
    )
    real = states.real / torch.linalg.vector_norm(states.real, dim=-1, keepdim=True)
    np.testing.assert_allclose(
        model(real).detach().numpy(), model(real.to(torch.complex128)).detach().numpy()
    )


def test_qnn_dtypes() -> None:
    assert qnn.QNN(4, 1).theta.dtype == torch.float32
    assert qnn.QNN(4, 1, dtype=torch.complex128).theta.dtype == torch.float64
    out = qnn.QNN(4, 1)(random_states((2,), 4, seed=19))
    assert out.dtype == torch.float32
    with pytest.raises(ValueError, match="complex64 or torch.complex128"):
        qnn.QNN(4, 1, dtype=torch.float32)


def test_qnn_init_deterministic_and_position_independent() -> None:
    single = qnn.QNN(10, 6, seeds=(7,), dtype=torch.complex128).theta.detach()
    again = qnn.QNN(10, 6, seeds=(7,), dtype=torch.complex128).theta.detach()
    ensemble = qnn.QNN(10, 6, seeds=(1, 2, 7), dtype=torch.complex128).theta.detach()
    assert single.shape == (1, 6, 10, 4) and ensemble.shape == (3, 6, 10, 4)
    np.testing.assert_array_equal(single.numpy(), again.numpy())
    np.testing.assert_array_equal(ensemble[2].numpy(), single[0].numpy())
    assert not np.allclose(ensemble[0].numpy(), ensemble[1].numpy())
    # float32 init is the rounded float64 init
    low = qnn.QNN(10, 6, seeds=(7,)).theta.detach()
    np.testing.assert_array_equal(low.numpy(), single.float().numpy())
    # N(0, 0.01^2): 240 draws per member
    assert abs(float(single.mean())) < 0.003
    assert 0.008 < float(single.std()) < 0.012


def test_qnn_rejects_bad_inputs() -> None:
    model = qnn.QNN(4, 1, seeds=(0, 1))
    with pytest.raises(ValueError, match="2\\*\\*4 = 16"):
        model(torch.zeros(2, 3, 8))
    with pytest.raises(ValueError, match="E=2"):
        model(torch.zeros(3, 3, 16))
    with pytest.raises(ValueError, match="shape"):
        model(torch.zeros(16))
    with pytest.raises(ValueError, match="seeds"):
        qnn.QNN(4, 1, seeds=())
    with pytest.raises(ValueError, match="n_qubits"):
        qnn.QNN(1, 1)
    with pytest.raises(ValueError, match="depth"):
        qnn.QNN(4, 0)


def test_qnn_trains_members_independently() -> None:
    """One member's loss gives gradient to that member only."""
    model = qnn.QNN(5, 2, seeds=(0, 1, 2), dtype=torch.complex128)
    logits = model(random_states((3, 4), 5, seed=20))
    logits[1].sum().backward()
    grad = model.theta.grad.numpy()
    assert np.abs(grad[1]).max() > 0
    np.testing.assert_array_equal(grad[[0, 2]], 0.0)


def test_qubit_groups_cover_the_register() -> None:
    for n_qubits in range(1, 17):
        groups = qnn.qubit_groups(n_qubits)
        assert sum(groups) == n_qubits
        assert max(groups) <= qnn.GROUP_QUBITS and max(groups) - min(groups) <= 1


def test_last_layer_outside_the_light_cone_gets_exactly_zero_gradient() -> None:
    """Only the readout qubit's rotations of the last layer influence <Z_{L-1}>."""
    n_qubits, depth = 6, 3
    params = random_params((2, depth, n_qubits, 4), seed=40).requires_grad_()
    states = random_states((2, 4), n_qubits, seed=41)
    (grad,) = torch.autograd.grad(qnn.expectation(params, states).sum(), params)
    last = grad[:, -1].clone()
    assert torch.all(last[:, n_qubits - 1, :3].abs() > 1e-6)
    last[:, n_qubits - 1, :3] = 0.0
    assert torch.count_nonzero(last) == 0
    # ... and the reference circuit agrees that those angles do not matter
    ref = torch.stack([qnn.reference_expectations(params[e], states[e]) for e in range(2)])
    (ref_grad,) = torch.autograd.grad(ref.sum(), params)
    np.testing.assert_allclose(grad.numpy(), ref_grad.numpy(), atol=1e-12)
