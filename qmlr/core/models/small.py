"""A parameter-matched MLP: about as many trained parameters as the QNN, on PCA-reduced inputs.

Each member projects its inputs on the :data:`PCA_COMPONENTS` leading principal directions of
*its own training inputs* (a fixed map, fitted once before training, never on validation data),
then applies a one-hidden-layer ReLU MLP whose width :func:`matched_width` chooses so the trained
parameters come closest to a target (the QNN's count).

Example:
    >>> matched_width(240), matched_width(192)   # QNN parameters on MNIST and XXZ
    ((20,), (16,))
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from qmlr.core.kinds import (  # noqa: F401 (re-exported)
    PCA_COMPONENTS,
    SmallMLPDescription,
    matched_width,
)
from qmlr.core.mlp import MLP
from qmlr.core.models.base import Ensemble, FitRequest, ModelKind, real_dtype
from qmlr.core.train import History, fit


def pca_map(x: np.ndarray, components: int = PCA_COMPONENTS) -> tuple[np.ndarray, np.ndarray]:
    """Mean and leading principal directions of the rows of ``x`` (SVD of the centred data;
    each direction's sign makes its largest-magnitude entry positive, so the map is unique).

    :param x: data ``(N, D)``; ``components``: how many directions.
    :return: ``(mean (D,), directions (D, components))``.

    Example:
        >>> x = np.array([[0.0, 0.0], [2.0, 0.1], [4.0, -0.1]])
        >>> mean, v = pca_map(x, 1)
        >>> mean.round(2).tolist(), round(float(v[0, 0]), 3), abs(float(v[1, 0])) < 0.05
        ([2.0, 0.0], 1.0, True)
    """
    x = np.asarray(x, dtype=np.float64)
    if not 1 <= components <= min(x.shape):
        raise ValueError(f"cannot take {components} components of data shaped {x.shape}")
    mean = x.mean(axis=0)
    # torch's LAPACK: numpy's threaded OpenBLAS SVD was 40x slower on the shared 2-core machine
    _, _, vt = torch.linalg.svd(torch.as_tensor(x - mean), full_matrices=False)
    v = vt[:components].T.numpy()
    signs = np.sign(v[np.abs(v).argmax(axis=0), np.arange(components)])
    return mean, v * signs


class ProjectedMLP(torch.nn.Module):
    """Per-member fixed projection ``(x - mean_e) V_e`` followed by an :class:`~qmlr.core.mlp.MLP`.

    :param means: ``(E, D)``; ``directions``: ``(E, D, k)`` (buffers, not trained).
    :param hidden: hidden widths; ``seeds``: one per member; ``dtype``: real dtype.
    """

    def __init__(
        self,
        means: torch.Tensor,
        directions: torch.Tensor,
        hidden: Sequence[int],
        seeds: Sequence[int],
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.register_buffer("means", means.to(dtype))
        self.register_buffer("directions", directions.to(dtype))
        self.mlp = MLP(directions.shape[-1], hidden=hidden, seeds=seeds, dtype=dtype)
        self.n_members = self.mlp.n_members

    def reinitialized(self, seeds: Sequence[int]) -> ProjectedMLP:
        """The same fixed projection (of member 0 for every new member) and a freshly
        initialized MLP, one member per seed."""
        n = len(seeds)
        means = self.means[:1].expand(n, -1).clone()
        directions = self.directions[:1].expand(n, -1, -1).clone()
        return ProjectedMLP(means, directions, self.mlp.hidden, seeds, dtype=self.mlp.dtype)

    def project(self, x: torch.Tensor) -> torch.Tensor:
        """Reduced inputs ``(E, B, k)`` of inputs ``(E, B, D)`` or ``(B, D)``."""
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        return torch.bmm(x.to(self.means.dtype) - self.means[:, None, :], self.directions)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(E, B)`` of inputs ``(E, B, D)`` or ``(B, D)``."""
        return self.mlp(self.project(x))


class SmallMLPKind(SmallMLPDescription, ModelKind):
    """``mlp-small``: PCA to :data:`PCA_COMPONENTS` dimensions, then ``hidden`` (one layer,
    from :func:`matched_width`), trained with the MLP's settings."""

    def fit_ensemble(self, r: FitRequest) -> tuple[Ensemble, History]:
        maps = [pca_map(member.double().numpy()) for member in r.x]
        means = torch.as_tensor(np.stack([m for m, _ in maps]))
        directions = torch.as_tensor(np.stack([v for _, v in maps]))
        net = ProjectedMLP(means, directions, r.model.hidden, r.seeds, dtype=real_dtype(r.model))
        # the map is fixed: train the MLP on the inputs projected once
        z, z_val = net.project(r.x), None if r.x_val is None else net.project(r.x_val)
        history = fit(net.mlp, z, r.y, r.train, r.seeds, z_val, r.y_val, progress=r.progress)
        return net, history
