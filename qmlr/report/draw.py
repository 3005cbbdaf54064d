"""Circuit diagrams drawn from a tensorcircuit-ng circuit's own gate list (no qiskit needed).

:func:`qmlr.core.qnn.reference_circuit` builds the QNN gate by gate as a ``tc.Circuit``;
:func:`circuit_gates` reads any circuit's gates back from ``circuit.to_qir()``;
:func:`draw_gates` draws a list of gates with matplotlib. Nothing about the ansatz is typed into
the drawing: boxes, wires and angle labels all come from the gate list.

Example:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from qmlr.core.qnn import reference_circuit
    >>> gates = circuit_gates(reference_circuit(parameter_indices(1, 3)))
    >>> [g.name for g in gates[:4]], len(gates)
    (['rx', 'ry', 'rx', 'rx'], 12)
    >>> fig, ax = plt.subplots()
    >>> len(draw_gates(ax, gates, n_qubits=3))
    12
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Text shown in a gate's box, by tensorcircuit gate name.
GATE_TEXT = {"rx": "RX", "ry": "RY", "rz": "RZ", "rzz": "ZZ", "cnot": "X", "h": "H"}


@dataclass(frozen=True)
class Gate:
    """One gate of a circuit, as read from its ``to_qir()`` record.

    :param name: tensorcircuit's gate name, e.g. ``"rx"`` or ``"rzz"``.
    :param qubits: the qubits it acts on, in order (control first for ``cnot``).
    :param theta: its rotation angle, ``None`` for a fixed gate.
    """

    name: str
    qubits: tuple[int, ...]
    theta: float | None = None


@dataclass(frozen=True)
class DrawnGate:
    """A gate and the column it was drawn in.

    :param gate: the gate.
    :param column: its horizontal position (0 = first column after the input).
    :param label: the angle label written next to it (``""`` for none).
    """

    gate: Gate
    column: int
    label: str


def parameter_indices(depth: int, n_qubits: int) -> np.ndarray:
    """Angles that name themselves: ``params[l, q, k] = l * L * 4 + q * 4 + k``.

    A circuit built from these angles carries, in every gate, the flat index of the parameter it
    reads, so a drawing can label each gate with its slot of the ``(depth, L, 4)`` tensor.

    :param depth: layers.
    :param n_qubits: qubits ``L``.
    :return: float64 array of shape ``(depth, L, 4)``.

    Example:
        >>> parameter_indices(1, 2)[0].tolist()
        [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]
    """
    return np.arange(depth * n_qubits * 4, dtype=np.float64).reshape(depth, n_qubits, 4)


def circuit_gates(circuit: Any) -> list[Gate]:
    """The gates of a tensorcircuit-ng circuit, in application order, from ``to_qir()``.

    :param circuit: a ``tensorcircuit.Circuit``.
    :return: one :class:`Gate` per gate (angles as Python floats).

    Example:
        >>> import tensorcircuit as tc
        >>> c = tc.Circuit(2); c.cnot(0, 1)
        >>> circuit_gates(c)
        [Gate(name='cnot', qubits=(0, 1), theta=None)]
    """
    gates = []
    for record in circuit.to_qir():
        theta = (record.get("parameters") or {}).get("theta")
        value = None if theta is None else float(np.real(np.asarray(theta)))
        gates.append(Gate(str(record["name"]), tuple(int(q) for q in record["index"]), value))
    return gates


def layers(gates: Sequence[Gate], depth: int) -> list[list[Gate]]:
    """Split a layered circuit's gates into ``depth`` equal layers.

    :param gates: the circuit's gates (:func:`circuit_gates`).
    :param depth: number of layers.
    :return: ``depth`` lists of gates.
    :raises ValueError: if the gates do not split into layers of equal length and equal gate
        sequence (names and qubits).

    Example:
        >>> from qmlr.core.qnn import reference_circuit
        >>> gates = circuit_gates(reference_circuit(np.zeros((2, 3, 4))))
        >>> [len(layer) for layer in layers(gates, 2)]
        [12, 12]
    """
    if depth < 1 or len(gates) % depth:
        raise ValueError(f"{len(gates)} gates do not split into {depth} equal layers")
    size = len(gates) // depth
    chunks = [list(gates[i * size : (i + 1) * size]) for i in range(depth)]
    shape = [(g.name, g.qubits) for g in chunks[0]]
    if any([(g.name, g.qubits) for g in chunk] != shape for chunk in chunks[1:]):
        raise ValueError("the layers differ in their gate sequence")
    return chunks


def angle_slot(theta: float | None, n_qubits: int) -> tuple[int, int, int] | None:
    """Decode an angle of :func:`parameter_indices` into its ``(layer, qubit, slot)``.

    :param theta: a gate's angle (``None`` for a fixed gate).
    :param n_qubits: qubits ``L`` of the parameter tensor.
    :return: ``(l, q, k)`` with ``params[l, q, k] == theta``, or ``None``.

    Example:
        >>> angle_slot(7.0, 2)
        (0, 1, 3)
    """
    if theta is None:
        return None
    flat = int(round(theta))
    layer, rest = divmod(flat, n_qubits * 4)
    return layer, rest // 4, rest % 4


def angle_labels(gates: Sequence[Gate], n_qubits: int) -> list[str]:
    """Label every gate with the parameter slot its angle reads, ``θ_{q,k}`` = ``params[l, q, k]``.

    :param gates: gates of a circuit built from :func:`parameter_indices`.
    :param n_qubits: qubits ``L`` of the parameter tensor.
    :return: one mathtext label per gate (``""`` for a fixed gate).

    Example:
        >>> print(angle_labels([Gate("rzz", (1, 0), 7.0)], n_qubits=2)[0])
        $\\theta_{1,3}$
    """
    labels = []
    for gate in gates:
        slot = angle_slot(gate.theta, n_qubits)
        labels.append("" if slot is None else rf"$\theta_{{{slot[1]},{slot[2]}}}$")
    return labels


def gate_columns(gates: Sequence[Gate]) -> list[int]:
    """Columns of a compact left-to-right drawing that keeps the gates' order on every wire.

    A gate goes to the first column after the last gate on any wire it covers; a two-qubit gate
    covers every wire between its qubits (its connecting line crosses them).

    :param gates: gates in application order.
    :return: one column index per gate.

    Example:
        >>> gate_columns([Gate("rx", (0,)), Gate("rx", (1,)), Gate("rzz", (0, 1))])
        [0, 0, 1]
    """
    free: dict[int, int] = {}
    columns = []
    for gate in gates:
        wires = range(min(gate.qubits), max(gate.qubits) + 1)
        column = max((free.get(w, 0) for w in wires), default=0)
        for w in wires:
            free[w] = column + 1
        columns.append(column)
    return columns


def _box(ax: Any, x: float, y: float, text: str, gid: str | None, size: float = 0.6) -> Any:
    from matplotlib.patches import Rectangle

    box = Rectangle(
        (x - size / 2, y - size / 2), size, size, facecolor="white", edgecolor="black", zorder=3
    )
    if gid is not None:
        box.set_gid(gid)
    ax.add_patch(box)
    ax.text(x, y, text, ha="center", va="center", fontsize=8, zorder=4)
    return box


def _draw_wires(ax: Any, n_qubits: int, x_end: float, input_text: str | None) -> None:
    """The qubit wires with their names and, if given, the input box spanning them."""
    for q in range(n_qubits):
        ax.plot([-1.0, x_end], [-q, -q], color="black", lw=0.8, zorder=1)
        ax.text(-1.5, -q, f"$q_{{{q}}}$", ha="right", va="center", fontsize=9)
    if input_text is not None:
        from matplotlib.patches import FancyBboxPatch

        ax.add_patch(
            FancyBboxPatch(
                (-1.35, -(n_qubits - 1) - 0.35),
                0.7,
                n_qubits - 1 + 0.7,
                boxstyle="round,pad=0.02",
                facecolor="#e8eef7",
                edgecolor="black",
                zorder=3,
            )
        )
        ax.text(-1.0, -(n_qubits - 1) / 2, input_text, ha="center", va="center", rotation=90,
                fontsize=10, zorder=4)  # fmt: skip


def _draw_gate(ax: Any, gate: Gate, x: float, gid: str) -> None:
    """One gate at column ``x``: a box, a CNOT (dot and ⊕) or a two-qubit box pair."""
    from matplotlib.patches import Circle

    if len(gate.qubits) == 1:
        (q,) = gate.qubits
        _box(ax, x, -q, GATE_TEXT.get(gate.name, gate.name.upper()), gid)
    elif gate.name == "cnot":
        control, target = gate.qubits
        ax.plot([x, x], [-control, -target], color="black", lw=1.0, zorder=2)
        dot = Circle((x, -control), 0.09, color="black", zorder=3)
        dot.set_gid(gid)
        ax.add_patch(dot)
        ax.add_patch(Circle((x, -target), 0.2, facecolor="white", edgecolor="black", zorder=3))
        ax.plot([x - 0.2, x + 0.2], [-target, -target], color="black", lw=1.0, zorder=4)
        ax.plot([x, x], [-target - 0.2, -target + 0.2], color="black", lw=1.0, zorder=4)
    else:
        ax.plot([x, x], [-min(gate.qubits), -max(gate.qubits)], color="black", lw=1.0,
                zorder=2)  # fmt: skip
        text = GATE_TEXT.get(gate.name, gate.name.upper())
        for j, q in enumerate(gate.qubits):
            _box(ax, x, -q, text, gid if j == 0 else None, size=0.5)


def draw_gates(
    ax: Any,
    gates: Sequence[Gate],
    n_qubits: int,
    labels: Sequence[str] | None = None,
    input_text: str | None = r"$|\psi(x)\rangle$",
    readout_qubit: int | None = None,
) -> list[DrawnGate]:
    """Draw gates on ``n_qubits`` wires (qubit 0 at the top); never calls ``plt.show()``.

    One-qubit gates are boxes; ``rzz`` is a ``ZZ`` box on each qubit joined by a line; ``cnot``
    a control dot and a target ⊕. Each gate's first patch gets the gid ``"gate-<i>-<name>"``, so
    a test can count what was drawn.

    :param ax: matplotlib axes.
    :param gates: the gates, in application order.
    :param n_qubits: number of wires.
    :param labels: optional text under each gate (e.g. its angle), one per gate.
    :param input_text: text of the input box spanning all wires (``None``: no box).
    :param readout_qubit: qubit measured in ``Z`` at the end (``None``: no meter).
    :return: the drawn gates with their columns.
    """
    if labels is not None and len(labels) != len(gates):
        raise ValueError(f"{len(labels)} labels for {len(gates)} gates")
    for gate in gates:
        if not gate.qubits or max(gate.qubits) >= n_qubits or min(gate.qubits) < 0:
            raise ValueError(f"{gate} does not fit on {n_qubits} wires")
    columns = gate_columns(gates)
    width = max(columns, default=-1) + 1
    x_end = width + (1 if readout_qubit is not None else 0)
    _draw_wires(ax, n_qubits, x_end, input_text)
    drawn = []
    for i, (gate, x) in enumerate(zip(gates, columns, strict=True)):
        gid = f"gate-{i}-{gate.name}"
        label = "" if labels is None else labels[i]
        _draw_gate(ax, gate, x, gid)
        if label and len(gate.qubits) == 1:
            ax.text(x, -gate.qubits[0] - 0.36, label, ha="center", va="top", fontsize=7, zorder=4)
        elif label:  # beside the connecting line, halfway between the qubits
            y = -(gate.qubits[0] + gate.qubits[-1]) / 2
            ax.text(x + 0.08, y, label, ha="left", va="center", fontsize=7, zorder=4)
        drawn.append(DrawnGate(gate, x, label))
    if readout_qubit is not None:
        _box(ax, width, -readout_qubit, r"$\langle Z\rangle$", "readout", size=0.7)
    ax.set_xlim(-2.2, x_end + 0.6)
    ax.set_ylim(-n_qubits + 0.3, 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    return drawn
