"""An MLP with the QNN's Lipschitz bound: every layer spectrally normalized (``mlp-spectral``).

The QNN's logit ``s ⟨ψ|O|ψ⟩`` (``‖O‖ = 1``) changes by at most ``2s ‖ψ₁ − ψ₂‖`` between two unit
inputs. This control gives a ReLU MLP the same constant on its real features: each weight
matrix is divided by ``max(1, ‖W‖₂)`` (its exact largest singular value, computed every forward
pass from the small Gram matrix ``WᵀW``, so the bound holds by construction, not only after a
power iteration converged), ReLU is 1-Lipschitz, and the output is multiplied by ``2s``. Hence
``|f(x₁) − f(x₂)| ≤ 2s ‖x₁ − x₂‖`` for every member and every parameter value. (Applied per
ensemble member; ``torch.nn.utils.parametrizations.spectral_norm`` would normalize the stacked
``(E, in, out)`` tensor as one matrix.)

Example:
    >>> import torch
    >>> net = SpectralMLP(3, (4,), seeds=(0,), lipschitz=10.0)
    >>> x = torch.randn(6, 3)
    >>> z = net(x)[0]
    >>> bool(((z[0] - z[1]).abs() <= 10.0 * (x[0] - x[1]).norm() + 1e-5).item())
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from qmlr.core.kinds import SpectralMLPDescription, logit_scale
from qmlr.core.mlp import MLP
from qmlr.core.models.base import ModelKind, real_dtype


def spectral_norms(weight: torch.Tensor) -> torch.Tensor:
    """Largest singular value of each member's weight matrix.

    :param weight: stacked weights ``(E, fan_in, fan_out)``.
    :return: ``(E,)``: ``sqrt(λ_max(WᵀW))``, exact (an eigen-decomposition of a
        ``fan_out × fan_out`` matrix), differentiable.

    Example:
        >>> spectral_norms(torch.diag(torch.tensor([3.0, -4.0]))[None]).tolist()
        [4.0]
    """
    gram = weight.mT @ weight
    return torch.linalg.eigvalsh(gram)[..., -1].clamp_min(0.0).sqrt()


class SpectralMLP(torch.nn.Module):
    """An ensemble of ReLU MLPs with Lipschitz constant at most ``lipschitz`` in the Euclidean
    norm of their inputs.

    :param in_features: input dimension; ``hidden``: hidden widths; ``seeds``: one per member;
        ``dtype``: real dtype (as for :class:`~qmlr.core.mlp.MLP`, whose initialization it uses).
    :param lipschitz: the bound ``L`` (the output layer is scaled by it).
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int],
        seeds: Sequence[int],
        lipschitz: float,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        if not lipschitz > 0:
            raise ValueError(f"the Lipschitz bound must be positive, got {lipschitz!r}")
        self.mlp = MLP(in_features, hidden=hidden, seeds=seeds, dtype=dtype)
        self.n_members = self.mlp.n_members
        self.lipschitz = float(lipschitz)

    def normalized_weights(self) -> list[torch.Tensor]:
        """Each layer's weights divided by ``max(1, ‖W‖₂)``, per member."""
        out = []
        for weight in self.mlp.weights:
            norm = spectral_norms(weight).clamp_min(1.0)
            out.append(weight / norm[:, None, None])
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(E, B)`` of inputs ``(E, B, D)`` or ``(B, D)``."""
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        h = x.to(self.mlp.dtype)
        weights = self.normalized_weights()
        last = len(weights) - 1
        for j, (weight, bias) in enumerate(zip(weights, self.mlp.biases, strict=True)):
            h = torch.baddbmm(bias.unsqueeze(1), h, weight)
            if j < last:
                h = torch.relu(h)
        return self.lipschitz * h.squeeze(-1)


class SpectralMLPKind(SpectralMLPDescription, ModelKind):
    """``mlp-spectral``: a ReLU MLP (``hidden`` widths) with Lipschitz constant ``2s`` on its
    real features (``s``: the spec's ``scale``, 5 by default), trained with the MLP's settings."""

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        return SpectralMLP(
            in_features, model.hidden, seeds, 2 * logit_scale(model), dtype=real_dtype(model)
        )
