"""Logistic regression: one linear logit, on the real features or on the squared amplitudes.

Both are :class:`qmlr.core.mlp.MLP` ensembles without hidden layers (Glorot-uniform weights, zero
bias), trained like the QNN (its SI Table I epochs, batch size and learning rate, Adam).

Example:
    >>> import numpy as np
    >>> from qmlr.core.models import get_kind
    >>> from qmlr.engine.specs import ModelSpec
    >>> spec = ModelSpec("logistic-quadratic")
    >>> get_kind("logistic-quadratic").inputs(np.array([[0.6, -0.8j]]), spec)
    tensor([[0.3600, 0.6400]])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from qmlr.core.kinds import LogisticDescription, LogisticQuadraticDescription
from qmlr.core.mlp import MLP
from qmlr.core.models.base import ModelKind, real_dtype


class LogisticKind(LogisticDescription, ModelKind):
    """``logistic``: a linear logit ``w·x + b`` on the classical features (for XXZ
    ``[Re ψ, Im ψ]``, for MNIST the normalized amplitudes)."""

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        return MLP(in_features, hidden=(), seeds=tuple(seeds), dtype=real_dtype(model))


class LogisticQuadraticKind(LogisticQuadraticDescription, LogisticKind):
    """``logistic-quadratic``: the linear logit on the phase-invariant ``|x_i|²`` — the
    computational-basis probabilities a measurement of the encoded state sees."""

    def inputs(self, x: np.ndarray, model: Any) -> torch.Tensor:
        return torch.as_tensor(np.abs(np.asarray(x)) ** 2).to(real_dtype(model))
