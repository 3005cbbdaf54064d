"""Nearest class centroid: no trained parameters, only the two class means of the inputs.

The logit is ``|x - c_0|² - |x - c_1|²``, positive where ``x`` lies closer to the mean ``c_1``
of the training inputs labelled 1 (as :class:`sklearn.neighbors.NearestCentroid` decides).

Example:
    >>> import torch
    >>> from qmlr.core.models import get_kind
    >>> from qmlr.engine.specs import DataSpec, ModelSpec
    >>> x = torch.tensor([[[0.0], [1.0], [4.0], [5.0]]]); y = torch.tensor([[0, 0, 1, 1]])
    >>> kind = get_kind("centroid")
    >>> net, hist = kind.fit(ModelSpec("centroid"), DataSpec("mnist"), None, x, y, [0])
    >>> net(torch.tensor([[2.0], [3.5]])).tolist(), hist.train_accuracy.tolist()
    ([[-4.0, 8.0]], [1.0])
"""

from __future__ import annotations

import torch

from qmlr.core.kinds import CentroidDescription
from qmlr.core.models.base import Ensemble, FitRequest, ModelKind
from qmlr.core.train import History


class Centroids(torch.nn.Module):
    """Fixed class means ``(E, 2, D)`` of an ensemble; logits by squared distance."""

    def __init__(self, centroids: torch.Tensor) -> None:
        super().__init__()
        self.register_buffer("centroids", centroids)
        self.n_members = centroids.shape[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits ``(E, B)`` of inputs ``(E, B, D)`` or ``(B, D)``."""
        if x.ndim == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        x = x.to(self.centroids.dtype)
        d0 = ((x - self.centroids[:, None, 0]) ** 2).sum(-1)
        d1 = ((x - self.centroids[:, None, 1]) ** 2).sum(-1)
        return d0 - d1


class CentroidKind(CentroidDescription, ModelKind):
    """``centroid``: the nearest class mean of the classical features; nothing trained."""

    def fit_ensemble(self, r: FitRequest) -> tuple[Ensemble, History]:
        means = []
        for xe, ye in zip(r.x, r.y, strict=True):
            if set(ye.tolist()) != {0, 1}:
                raise ValueError("a nearest-centroid model needs training examples of both classes")
            means.append(torch.stack([xe[ye == c].mean(dim=0) for c in (0, 1)]))
        net = Centroids(torch.stack(means))
        return net, r.history(net)

    def n_params(self, ensemble: Ensemble) -> list[int]:
        return [0] * ensemble.n_members
