"""The classical baseline: an ensemble of small fully connected ReLU networks.

``E`` independent MLPs are stored as stacked weights ``(E, in, out)`` and biases ``(E, out)`` and
evaluated together with batched matrix products. Each is ``Dense → ReLU`` per hidden layer and a
final ``Dense`` to one output, the logit (the sigmoid lives in the BCE-with-logits loss).
Weights are Glorot-uniform, ``U(-a, a)`` with ``a = sqrt(6 / (fan_in + fan_out))``; biases are 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch

from qmlr.core.kinds import layer_sizes  # torch-free; importable from here as before

_REAL_DTYPES = (torch.float32, torch.float64)


def glorot_bound(fan_in: int, fan_out: int) -> float:
    """Half-width ``a = sqrt(6 / (fan_in + fan_out))`` of the Glorot-uniform distribution.

    :param fan_in: number of inputs of the layer.
    :param fan_out: number of outputs of the layer.
    :return: the bound ``a``.

    Example:
        >>> round(glorot_bound(2, 1), 6)
        1.414214
    """
    return math.sqrt(6.0 / (fan_in + fan_out))


def init_weights(in_features: int, hidden: Sequence[int], seed: int) -> list[torch.Tensor]:
    """Glorot-uniform weights of one MLP, drawn from ``torch.Generator().manual_seed(seed)``.

    Drawn in float64, layer by layer, so the float32 initialization is the rounded float64 one.

    :param in_features: input dimension.
    :param hidden: hidden-layer widths.
    :param seed: the model's seed.
    :return: one float64 tensor of shape ``(fan_in, fan_out)`` per layer.

    Example:
        >>> [tuple(w.shape) for w in init_weights(8, (4,), seed=0)]
        [(8, 4), (4, 1)]
    """
    gen = torch.Generator().manual_seed(int(seed))
    sizes = layer_sizes(in_features, hidden)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        bound = glorot_bound(fan_in, fan_out)
        unit = torch.rand(fan_in, fan_out, generator=gen, dtype=torch.float64)
        weights.append((2.0 * unit - 1.0) * bound)
    return weights


class MLP(torch.nn.Module):
    """An ensemble of ``E = len(seeds)`` independent MLPs evaluated at once.

    :param in_features: input dimension ``D``.
    :param hidden: hidden-layer widths (each followed by ReLU).
    :param seeds: one seed per member; member ``e`` is initialized from
        ``torch.Generator().manual_seed(seeds[e])``, independently of the others.
    :param dtype: ``torch.float32`` or ``torch.float64``.

    Layer ``j`` has weight ``weights[j]`` of shape ``(E, fan_in, fan_out)`` (so ``h @ W``) and
    bias ``biases[j]`` of shape ``(E, fan_out)``.

    Example:
        >>> model = MLP(1024, hidden=(16, 4), seeds=(0, 1, 2))
        >>> model(torch.zeros(5, 1024)).shape  # a (B, D) input is shared by all members
        torch.Size([3, 5])
        >>> model.n_params_per_member
        16473
    """

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int] = (16, 4),
        seeds: Sequence[int] = (0,),
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        if dtype not in _REAL_DTYPES:
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        if in_features < 1 or any(int(h) < 1 for h in hidden):
            raise ValueError(
                f"layer widths must be positive, got in_features={in_features}, hidden={hidden}"
            )
        seeds = tuple(int(s) for s in seeds)
        if not seeds:
            raise ValueError("seeds must hold at least one seed (one per ensemble member)")
        self.in_features = int(in_features)
        self.hidden = tuple(int(h) for h in hidden)
        self.seeds = seeds
        self.dtype = dtype
        per_member = [init_weights(in_features, self.hidden, s) for s in seeds]
        self.weights = torch.nn.ParameterList(
            torch.nn.Parameter(torch.stack(layer).to(dtype))
            for layer in zip(*per_member, strict=True)
        )
        sizes = layer_sizes(in_features, self.hidden)
        self.biases = torch.nn.ParameterList(
            torch.nn.Parameter(torch.zeros(len(seeds), width, dtype=dtype)) for width in sizes[1:]
        )

    @property
    def n_members(self) -> int:
        """Ensemble size ``E``."""
        return len(self.seeds)

    @property
    def n_params_per_member(self) -> int:
        """Trainable parameters of one member."""
        return sum(p[0].numel() for p in self.parameters())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of every member on every input.

        :param x: features of shape ``(E, B, D)`` or ``(B, D)`` (broadcast to all members).
        :return: logits of shape ``(E, B)``.
        """
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        if x.ndim != 3:
            raise ValueError(
                f"inputs must have shape (E, B, {self.in_features}) or (B, {self.in_features}), "
                f"got {tuple(x.shape)}"
            )
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"inputs have {x.shape[-1]} features, the model expects {self.in_features}"
            )
        if x.shape[0] != self.n_members:
            raise ValueError(
                f"inputs have ensemble size {x.shape[0]}, the model has E={self.n_members}"
            )
        if x.is_complex():
            raise ValueError(
                "inputs must be real; use qmlr.core.data.mlp_features for complex data"
            )
        h = x.to(device=self.weights[0].device, dtype=self.dtype)
        last = len(self.weights) - 1
        for j, (weight, bias) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(bias.unsqueeze(1), h, weight)
            if j < last:
                h = torch.relu(h)
        return h.squeeze(-1)
