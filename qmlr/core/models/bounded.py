"""The paper's MLP with its logit bounded as the QNN's is: ``5 tanh(z)``.

The QNN's logit is ``LOGIT_SCALE <Z>`` with ``<Z> ∈ [-1, 1]`` (:data:`qmlr.core.qnn.LOGIT_SCALE`);
this control gives the MLP the same range, ``LOGIT_SCALE tanh(z)``, so neither can push a
training example's loss below ``log(1 + e^-5)``.

Example:
    >>> import torch
    >>> from qmlr.core.models.bounded import BoundedMLP
    >>> net = BoundedMLP(3, (4,), seeds=(0, 1))
    >>> bool(net(1e3 * torch.ones(2, 3)).abs().max() <= 5.0)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from qmlr.core.kinds import LOGIT_SCALE, TanhMLPDescription
from qmlr.core.mlp import MLP
from qmlr.core.models.base import ModelKind, real_dtype


class BoundedMLP(torch.nn.Module):
    """An :class:`~qmlr.core.mlp.MLP` ensemble whose logits are ``LOGIT_SCALE tanh(z)``.

    :param in_features: input dimension; ``hidden``: hidden widths; ``seeds``: one per member;
        ``dtype``: real dtype (as for :class:`~qmlr.core.mlp.MLP`).
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int],
        seeds: Sequence[int],
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.mlp = MLP(in_features, hidden=hidden, seeds=seeds, dtype=dtype)
        self.n_members = self.mlp.n_members

    def reinitialized(self, seeds: Sequence[int]) -> BoundedMLP:
        """A freshly initialized bounded MLP of the same shape, one member per seed."""
        mlp = self.mlp
        return BoundedMLP(mlp.in_features, mlp.hidden, seeds, dtype=mlp.dtype)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Bounded logits ``(E, B)``."""
        return LOGIT_SCALE * torch.tanh(self.mlp(x))


class TanhMLPKind(TanhMLPDescription, ModelKind):
    """``mlp-tanh``: the paper's MLP (``hidden`` as in SI IV.A) with the QNN's logit bound,
    trained with the MLP's settings."""

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        return BoundedMLP(in_features, model.hidden, seeds, dtype=real_dtype(model))
