"""The paper's quantum model: an ensemble of QNNs (:class:`qmlr.core.qnn.QNN`) on the amplitudes.

Example:
    >>> from qmlr.core.models import get_kind
    >>> from qmlr.engine.specs import DataSpec, ModelSpec
    >>> net = get_kind("qnn").build(ModelSpec("qnn", depth=4), DataSpec("xxz"), 4096, [0])
    >>> get_kind("qnn").n_params(net)
    [192]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from qmlr.core.data import N_QUBITS
from qmlr.core.models.base import ModelKind, complex_dtype
from qmlr.core.qnn import QNN
from qmlr.core.shots import ShotNoisyQNN


class QNNKind(ModelKind):
    """``qnn``: the amplitude-encoded circuit of SI IV.A, logit ``5 <Z>``, trained with the
    QNN's settings of SI Table I."""

    name = "qnn"
    training = "qnn"
    records_n_params = False

    def validate(self, model: Any) -> None:
        if model.depth < 1:
            raise ValueError("a QNN needs depth >= 1")

    def label(self, model: Any) -> str:
        shots = getattr(model, "shots", 0)
        return f"QNN depth {model.depth}" + (f", {shots} shots" if shots else "")

    def inputs(self, x: np.ndarray, model: Any) -> torch.Tensor:
        """The amplitudes themselves, as complex numbers."""
        return torch.as_tensor(x).to(complex_dtype(model))

    def state_length(self, model: Any, data: Any) -> int:
        """Amplitudes per input: ``2**L`` for the dataset's ``L`` qubits."""
        return 2 ** N_QUBITS[data.name]

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        n_qubits, dtype = N_QUBITS[data.name], complex_dtype(model)
        if getattr(model, "shots", 0):
            noise_seed = int(np.random.SeedSequence([int(s) for s in seeds]).generate_state(1)[0])
            return ShotNoisyQNN(
                n_qubits, model.depth, tuple(seeds), dtype, shots=model.shots, noise_seed=noise_seed
            )
        return QNN(n_qubits, model.depth, seeds=tuple(seeds), dtype=dtype)
