"""Circuit drawings: the circuit is the model's, and the drawing shows the circuit's gates."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from qmlr.core import qnn  # noqa: E402
from qmlr.core.qnn import expectation, reference_expectation, tc_torch_backend  # noqa: E402
from qmlr.engine.specs import N_QUBITS  # noqa: E402
from qmlr.report import draw
from qmlr.studies.experiments import PAPER_QNN_DEPTH  # noqa: E402


def test_ansatz_circuit_is_the_models_circuit():
    gen = torch.Generator().manual_seed(0)
    params = torch.randn(2, 3, 4, generator=gen, dtype=torch.float64)
    state = torch.randn(8, generator=gen, dtype=torch.complex128)
    state = state / state.norm()
    with tc_torch_backend(torch.complex128):
        circuit = qnn.reference_circuit(params, state)
        value = torch.real(circuit.expectation_ps(z=[2]))
    assert torch.allclose(value, reference_expectation(params, state), atol=1e-12)
    assert torch.allclose(value, expectation(params[None], state[None, None])[0, 0], atol=1e-12)


def paper_gates(dataset: str) -> tuple[list[draw.Gate], int, int]:
    depth, n_qubits = PAPER_QNN_DEPTH[dataset], N_QUBITS[dataset]
    circuit = qnn.reference_circuit(draw.parameter_indices(depth, n_qubits))
    return draw.circuit_gates(circuit), depth, n_qubits


@pytest.mark.parametrize("dataset", ["mnist", "xxz"])
def test_layers_hold_the_circuits_gates(dataset):
    gates, depth, n_qubits = paper_gates(dataset)
    layers = draw.layers(gates, depth)
    assert len(layers) == depth
    assert sum(len(layer) for layer in layers) == len(gates) == depth * 4 * n_qubits
    names = [g.name for g in layers[0]]
    assert names.count("rx") == 2 * n_qubits and names.count("ry") == n_qubits
    assert [g.qubits for g in layers[0] if g.name == "rzz"] == [
        (i, (i + 1) % n_qubits) for i in range(n_qubits)
    ]


def test_angle_labels_name_the_parameter_slot_each_gate_reads():
    gates, depth, n_qubits = paper_gates("mnist")
    for layer_index, layer in enumerate(draw.layers(gates, depth)):
        seen = {}
        for gate in layer:
            layer_of, qubit, slot = draw.angle_slot(gate.theta, n_qubits)
            assert layer_of == layer_index
            assert qubit == gate.qubits[0]
            seen.setdefault((gate.name, qubit), []).append(slot)
        for q in range(n_qubits):
            assert seen[("rx", q)] == [0, 2] and seen[("ry", q)] == [1] and seen[("rzz", q)] == [3]
    assert draw.angle_labels([draw.Gate("cnot", (0, 1))], 2) == [""]


def drawn_gate_ids(ax) -> list[str]:
    return [p.get_gid() for p in ax.patches if (p.get_gid() or "").startswith("gate-")]


@pytest.mark.parametrize("dataset", ["mnist", "xxz"])
def test_drawing_shows_every_gate_of_a_layer(dataset):
    gates, depth, n_qubits = paper_gates(dataset)
    layer = draw.layers(gates, depth)[0]
    fig, ax = plt.subplots()
    drawn = draw.draw_gates(
        ax, layer, n_qubits, draw.angle_labels(layer, n_qubits), readout_qubit=n_qubits - 1
    )
    ids = drawn_gate_ids(ax)
    plt.close(fig)
    assert len(ids) == len(layer) == len(gates) // depth
    assert [i.split("-")[2] for i in ids] == [g.name for g in layer]
    assert [d.gate for d in drawn] == layer
    assert all(d.label for d in drawn)


def test_columns_keep_the_order_on_every_wire():
    gates, depth, n_qubits = paper_gates("xxz")
    layer = draw.layers(gates, depth)[0]
    columns = draw.gate_columns(layer)
    for q in range(n_qubits):
        on_wire = [
            c for g, c in zip(layer, columns, strict=True) if min(g.qubits) <= q <= max(g.qubits)
        ]
        assert on_wire == sorted(on_wire) and len(set(on_wire)) == len(on_wire)
    assert max(columns) + 1 == 3 + n_qubits  # three rotation columns, then the RZZ chain


def test_cnot_and_unequal_layers():
    import tensorcircuit as tc

    circuit = tc.Circuit(3)
    circuit.rx(0, theta=0.1)
    circuit.cnot(0, 2)
    gates = draw.circuit_gates(circuit)
    fig, ax = plt.subplots()
    draw.draw_gates(ax, gates, 3, input_text=None)
    assert drawn_gate_ids(ax) == ["gate-0-rx", "gate-1-cnot"]
    plt.close(fig)
    with pytest.raises(ValueError, match="equal layers"):
        draw.layers(gates, 3)
    with pytest.raises(ValueError, match="gate sequence"):
        draw.layers(gates, 2)
    with pytest.raises(ValueError, match="does not fit"):
        draw.draw_gates(plt.gca(), gates, 2)
    plt.close("all")
    assert np.isclose(gates[0].theta, 0.1)
