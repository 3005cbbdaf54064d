"""Tests of qmlr.core.models.qnn_reim: the [Re ψ, Im ψ] QNN against tensorcircuit-ng, its inputs,
its size, and the per-column MNIST input's scaled readout."""

from __future__ import annotations

import numpy as np
import pytest
import tensorcircuit as tc
import torch

from qmlr.core import qnn
from qmlr.core.models import CONTROL_KINDS, get_kind
from qmlr.core.models.qnn_reim import qubits_for, reim_amplitudes
from qmlr.engine.specs import DataSpec, ModelSpec

KIND = get_kind("qnn-reim")


def random_complex_states(n: int, n_qubits: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    psi = rng.normal(size=(n, 2**n_qubits)) + 1j * rng.normal(size=(n, 2**n_qubits))
    return psi / np.linalg.norm(psi, axis=1, keepdims=True)


def tc_logit(params: np.ndarray, amplitudes: np.ndarray) -> float:
    """``5 <Z_last>`` of the ansatz built gate by gate with tensorcircuit-ng (numpy backend)."""
    n_qubits = params.shape[1]
    with qnn.tc_backend("numpy", "complex128"):
        circuit = tc.Circuit(n_qubits, inputs=amplitudes.astype(np.complex128))
        for layer in range(params.shape[0]):
            for q in range(n_qubits):
                circuit.rx(q, theta=params[layer, q, 0])
                circuit.ry(q, theta=params[layer, q, 1])
                circuit.rx(q, theta=params[layer, q, 2])
            for i in range(n_qubits):
                circuit.rzz(i, (i + 1) % n_qubits, theta=params[layer, i, 3])
        return 5.0 * float(np.real(circuit.expectation_ps(z=[n_qubits - 1])))


def test_inputs_are_re_then_im_as_one_more_qubit():
    psi = random_complex_states(3, 3, seed=0)
    x = KIND.inputs(psi, ModelSpec("qnn-reim", depth=1, precision="double"))
    assert x.shape == (3, 16) and x.dtype == torch.complex128
    expected = np.concatenate([psi.real, psi.imag], axis=1)
    np.testing.assert_allclose(x.numpy(), expected, atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(x.numpy(), axis=1), 1.0, atol=1e-14)


@pytest.mark.parametrize("n_qubits, depth", [(3, 2), (4, 3)])
def test_logits_match_tensorcircuit(n_qubits: int, depth: int):
    psi = random_complex_states(4, n_qubits, seed=depth)
    model = ModelSpec("qnn-reim", depth=depth, precision="double")
    x = KIND.inputs(psi, model)
    net = KIND.build(model, DataSpec("xxz"), x.shape[-1], [7])
    assert net.n_qubits == n_qubits + 1
    with torch.no_grad():
        net.theta.normal_(generator=torch.Generator().manual_seed(1))  # large angles
        fast = net(x)[0].numpy()
    params = net.theta[0].detach().numpy()
    reference = [tc_logit(params, row) for row in x.numpy()]
    np.testing.assert_allclose(fast, reference, atol=1e-10)
    assert np.ptp(fast) > 1e-3


def test_thirteen_qubits_on_an_xxz_state_match_tensorcircuit():
    from qmlr.engine.runner import clean_split

    state = clean_split(DataSpec("xxz"), "val").x[:1]
    model = ModelSpec("qnn-reim", depth=1, precision="double")
    x = KIND.inputs(state, model)
    net = KIND.build(model, DataSpec("xxz"), x.shape[-1], [3])
    with torch.no_grad():
        net.theta.normal_(generator=torch.Generator().manual_seed(2))
        fast = float(net(x)[0, 0])
    assert net.n_qubits == 13 and KIND.n_params(net) == [13 * 4]
    np.testing.assert_allclose(
        fast, tc_logit(net.theta[0].detach().numpy(), x[0].numpy()), atol=1e-9
    )


def test_global_phase_matters_for_reim_not_for_the_complex_qnn():
    psi = random_complex_states(2, 3, seed=5)
    turned = psi * np.exp(0.7j)
    model = ModelSpec("qnn-reim", depth=2, precision="double")
    net = KIND.build(model, DataSpec("xxz"), 16, [0])
    plain = get_kind("qnn")
    net12 = qnn.QNN(3, 2, seeds=(0,), dtype=torch.complex128)
    with torch.no_grad():
        net.theta.normal_(generator=torch.Generator().manual_seed(4))
        net12.theta.normal_(generator=torch.Generator().manual_seed(4))
        a, b = net(KIND.inputs(psi, model)), net(KIND.inputs(turned, model))
        c = net12(plain.inputs(psi, ModelSpec("qnn", depth=2, precision="double")))
        d = net12(plain.inputs(turned, ModelSpec("qnn", depth=2, precision="double")))
    assert torch.max(torch.abs(a - b)) > 1e-3
    np.testing.assert_allclose(c.numpy(), d.numpy(), atol=1e-12)


def test_kind_is_not_a_control_and_sizes_its_ensembles():
    from qmlr.core.train import TrainConfig
    from qmlr.engine.runner import group_limit
    from qmlr.engine.specs import CellSpec

    assert "qnn-reim" not in CONTROL_KINDS
    model = ModelSpec("qnn-reim", depth=4)
    assert KIND.label(model) == "QNN [Re ψ, Im ψ] depth 4"
    assert KIND.state_length(model, DataSpec("xxz")) == 2 * 4096
    train = TrainConfig(200, 32, 0.03)
    cell = CellSpec("demo", DataSpec("xxz"), model, train, "label_flip", 0.3, 0)
    twelve = CellSpec(
        "demo", DataSpec("xxz"), ModelSpec("qnn", depth=4), train, "label_flip", 0.3, 0
    )
    assert group_limit(cell) == group_limit(twelve) // 2
    assert cell.poison_seed() == twelve.poison_seed()


@pytest.mark.parametrize("bad", [np.ones((2, 4)), np.zeros((1, 4), dtype=complex)])
def test_bad_inputs_are_refused(bad):
    with pytest.raises(ValueError):
        reim_amplitudes(bad)
    with pytest.raises(ValueError, match="power-of-two"):
        qubits_for(12)


def test_per_column_input_scales_the_readout_by_its_squared_norm():
    from qmlr.core.data import mnist_1v9

    x = mnist_1v9("val", normalization="per-column").x[:3]
    squared = np.sum(x**2, axis=1)
    model = ModelSpec("qnn", depth=2, precision="double")
    net = get_kind("qnn").build(model, DataSpec("mnist"), 1024, [0])
    with torch.no_grad():
        net.theta.normal_(generator=torch.Generator().manual_seed(6))
        raw = net.expectation(get_kind("qnn").inputs(x, model))[0].numpy()
        unit = net.expectation(get_kind("qnn").inputs(x / np.sqrt(squared)[:, None], model))
    np.testing.assert_allclose(raw, squared * unit[0].numpy(), rtol=1e-10)
    reference = [tc_logit(net.theta[0].detach().numpy(), row) / 5.0 for row in x]
    np.testing.assert_allclose(raw, reference, atol=1e-9)
