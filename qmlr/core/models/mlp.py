"""The paper's classical model: an ensemble of ReLU MLPs (:class:`qmlr.core.mlp.MLP`) on real
features.

Example:
    >>> from qmlr.core.models import get_kind
    >>> from qmlr.engine.specs import DataSpec, ModelSpec
    >>> net = get_kind("mlp").build(ModelSpec("mlp", hidden=(16, 4)), DataSpec("mnist"), 1024, [0])
    >>> get_kind("mlp").n_params(net)
    [16473]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from qmlr.core.kinds import MLPDescription
from qmlr.core.mlp import MLP
from qmlr.core.models.base import ModelKind, real_dtype


class MLPKind(MLPDescription, ModelKind):
    """``mlp``: Dense → ReLU per hidden layer, one logit (SI IV.A), trained with the MLP's
    settings of SI Table I."""

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        return MLP(in_features, hidden=model.hidden, seeds=tuple(seeds), dtype=real_dtype(model))
