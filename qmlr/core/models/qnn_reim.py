"""The authors' XXZ unlearning QNN: ``[Re ψ, Im ψ]`` read as the amplitudes of one more qubit.

The authors' unlearning script converts every XXZ input with ``[Re ψ, Im ψ]`` (the real and
imaginary parts concatenated), the QNN's included, so its QNN reads the 8192 reals of a
12-qubit ground state as a 13-qubit amplitude vector. The circuit, initialization and readout
are the book's QNN (:class:`qmlr.core.qnn.QNN`: RX-RY-RX on every qubit and an RZZ ring per
layer, logit ``5 <Z>`` of the last qubit), on ``L + 1`` qubits. The extra qubit is the most
significant one: it selects the real (0) or imaginary (1) half. Unlike the 12-qubit QNN, this
model is sensitive to a state's global phase, which rotates weight between the two halves.

Normalization: ``‖[Re ψ, Im ψ]‖² = ‖ψ‖² = 1``, so the concatenated vector is already a unit
vector; the rows are divided by their norm once more so rounding cannot leave the unit sphere.

Example:
    >>> from qmlr.core.models import get_kind
    >>> from qmlr.engine.specs import DataSpec, ModelSpec
    >>> kind = get_kind("qnn-reim")
    >>> net = kind.build(ModelSpec("qnn-reim", depth=4), DataSpec("xxz"), 8192, [0])
    >>> net.n_qubits, kind.n_params(net)
    (13, [208])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from qmlr.core.data import mlp_features
from qmlr.core.kinds import ReImQNNDescription
from qmlr.core.models.base import complex_dtype
from qmlr.core.models.qnn import QNNKind
from qmlr.core.qnn import QNN


def reim_amplitudes(x: np.ndarray) -> np.ndarray:
    """Complex states ``(N, 2**L)`` as unit real vectors ``[Re ψ, Im ψ]`` of length ``2**(L+1)``.

    :param x: complex amplitudes, one state per row.
    :return: float64 array ``(N, 2 * D)``, each row of unit L2 norm.
    :raises ValueError: for real input (nothing to split) or a zero row.

    Example:
        >>> reim_amplitudes(np.array([[0.6j, 0.8]])).tolist()
        [[0.0, 0.8, 0.6, 0.0]]
    """
    x = np.asarray(x)
    if not np.iscomplexobj(x) or x.ndim != 2:
        raise ValueError(f"expected complex states of shape (N, D), got {x.dtype} {x.shape}")
    features = mlp_features(x).astype(np.float64)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    if np.any(norms == 0):
        raise ValueError("cannot normalize an all-zero state")
    return features / norms


def qubits_for(length: int) -> int:
    """Number of qubits whose amplitude vector has ``length`` entries (a power of two).

    Example:
        >>> qubits_for(8192)
        13
    """
    n = int(length).bit_length() - 1
    if length < 4 or 2**n != length:
        raise ValueError(f"an amplitude vector needs a power-of-two length >= 4, got {length}")
    return n


class ReImQNNKind(ReImQNNDescription, QNNKind):
    """``qnn-reim``: the QNN on ``[Re ψ, Im ψ]`` as ``L + 1`` qubits (the authors' XXZ
    unlearning model), trained with the QNN's settings of SI Table I."""

    def inputs(self, x: np.ndarray, model: Any) -> torch.Tensor:
        """``[Re ψ, Im ψ]`` (:func:`reim_amplitudes`) as the amplitudes of one more qubit."""
        return torch.as_tensor(reim_amplitudes(x)).to(complex_dtype(model))

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        n_qubits = qubits_for(in_features)
        return QNN(n_qubits, model.depth, seeds=tuple(seeds), dtype=complex_dtype(model))
