"""The QNN without its entangling gates: the no-entanglement ablation (``qnn-separable``).

The paper's circuit (:mod:`qmlr.core.qnn`) with every ``RZZ`` angle held at zero: each layer is a
product of one-qubit rotations, so the whole circuit is a product unitary ``⊗_q U_q`` and maps a
product state to a product state. With the readout ``Z`` on qubit ``L-1``, the logit is
``s ⟨ψ| I ⊗ … ⊗ U†ZU |ψ⟩``: a function of the input's one-qubit reduced state on that qubit
only, whatever the depth (the "separable" models of XanaduAI/qml-benchmarks, here with the
paper's readout).

Example:
    >>> import torch
    >>> net = SeparableQNN(3, 2, seeds=(0,))
    >>> net(torch.eye(8)[:2]).shape
    torch.Size([1, 2])
    >>> bool(net.masked_theta()[..., 3].abs().max() == 0)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from qmlr.core.data import N_QUBITS
from qmlr.core.kinds import SeparableQNNDescription, logit_scale
from qmlr.core.models.base import Ensemble, complex_dtype
from qmlr.core.models.qnn import QNNKind
from qmlr.core.qnn import QNN, expectation


class SeparableQNN(QNN):
    """A :class:`~qmlr.core.qnn.QNN` ensemble whose ``RZZ`` ring is removed (angles fixed at 0;
    the arguments are :class:`~qmlr.core.qnn.QNN`'s)."""

    def masked_theta(self) -> torch.Tensor:
        """The angles the circuit runs with: ``theta`` with its ``RZZ`` column set to 0."""
        mask = torch.ones(4, dtype=self.theta.dtype, device=self.theta.device)
        mask[3] = 0.0
        return self.theta * mask

    def expectation(self, x: torch.Tensor) -> torch.Tensor:
        """``<Z_{L-1}>`` of the product circuit on every input: ``(E, B, 2**L)`` → ``(E, B)``."""
        return expectation(self.masked_theta(), self._states(x))


class SeparableQNNKind(SeparableQNNDescription, QNNKind):
    """``qnn-separable``: the QNN of SI IV.A without its entangling gates, trained as the QNN."""

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        if getattr(model, "shots", 0):
            raise ValueError("a separable QNN is simulated exactly (no shots)")
        return SeparableQNN(
            N_QUBITS[data.name],
            model.depth,
            seeds=tuple(seeds),
            dtype=complex_dtype(model),
            scale=logit_scale(model),
        )

    def n_params(self, ensemble: Ensemble) -> list[int]:
        """The rotation angles only (the ``RZZ`` angles are fixed)."""
        theta = ensemble.theta  # type: ignore[union-attr]
        return [int(theta[0, ..., :3].numel())] * int(theta.shape[0])
