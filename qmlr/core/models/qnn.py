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
from qmlr.core.kinds import QNNDescription, logit_scale
from qmlr.core.models.base import ModelKind, complex_dtype
from qmlr.core.qnn import QNN
from qmlr.core.shots import ShotNoisyQNN


class QNNKind(QNNDescription, ModelKind):
    """``qnn``: the amplitude-encoded circuit of SI IV.A, logit ``s <Z>`` (``s`` = 5 unless the
    spec's ``scale`` says otherwise), trained with the QNN's settings of SI Table I."""

    def inputs(self, x: np.ndarray, model: Any) -> torch.Tensor:
        """The amplitudes themselves, as complex numbers."""
        return torch.as_tensor(x).to(complex_dtype(model))

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        n_qubits, dtype = N_QUBITS[data.name], complex_dtype(model)
        if getattr(model, "shots", 0):
            if getattr(model, "scale", 0.0):
                raise ValueError("a shot-noisy QNN has the paper's logit scale")
            noise_seed = int(np.random.SeedSequence([int(s) for s in seeds]).generate_state(1)[0])
            return ShotNoisyQNN(
                n_qubits, model.depth, tuple(seeds), dtype, shots=model.shots, noise_seed=noise_seed
            )
        return QNN(n_qubits, model.depth, seeds=tuple(seeds), dtype=dtype, scale=logit_scale(model))
