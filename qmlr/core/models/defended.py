"""The paper's MLP with a standard label-noise defence that uses no clean data.

- ``mlp-early-stop``: a seeded :data:`EARLY_STOP_FRACTION` of the *poisoned* training set is held
  out; the MLP trains on the rest with its SI Table I settings (at most its epochs, stopping once
  no member's held-out loss has improved for :data:`EARLY_STOP_PATIENCE` epochs) and keeps the
  epoch whose held-out (poisoned) mean BCE was lowest.
- ``mlp-weight-decay``: Adam with the L2 penalty :data:`WEIGHT_DECAY` on every parameter.

Example:
    >>> import torch
    >>> from qmlr.core.models import get_kind
    >>> from qmlr.engine.specs import DataSpec, ModelSpec
    >>> from qmlr.core.train import TrainConfig
    >>> x = torch.randn(2, 20, 3); y = (x[..., 0] > 0).long()
    >>> spec = ModelSpec("mlp-early-stop", hidden=(4,))
    >>> net, hist = get_kind("mlp-early-stop").fit(spec, DataSpec("xxz"), TrainConfig(3, 8, 0.01),
    ...                                             x, y, seeds=[0, 1])
    >>> [sorted(m) for m in get_kind("mlp-early-stop").extra_metrics(net)]
    [['early_stop_epoch', 'n_params'], ['early_stop_epoch', 'n_params']]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import torch

from qmlr.core.kinds import (  # noqa: F401 (EARLY_STOP_FRACTION re-exported)
    EARLY_STOP_FRACTION,
    WEIGHT_DECAY,
    EarlyStopMLPDescription,
    PaperMLPDescription,
    WeightDecayMLPDescription,
)
from qmlr.core.mlp import MLP
from qmlr.core.models.base import Ensemble, FitRequest, ModelKind, real_dtype
from qmlr.core.train import History, fit, per_member_bce

#: Training stops once no member's held-out loss has improved for this many epochs.
EARLY_STOP_PATIENCE = 40
#: Stream of the held-out draw: member ``e`` holds out ``default_rng([seeds[e], this])``'s pick.
HOLDOUT_STREAM = 0xE5


class _PaperMLPKind(PaperMLPDescription, ModelKind):
    """A kind built on the paper's MLP (positive hidden widths, the MLP's settings)."""

    def build(
        self, model: Any, data: Any, in_features: int, seeds: Sequence[int]
    ) -> torch.nn.Module:
        return MLP(in_features, hidden=model.hidden, seeds=tuple(seeds), dtype=real_dtype(model))


def holdout_split(
    n: int, seed: int, fraction: float = EARLY_STOP_FRACTION
) -> tuple[np.ndarray, np.ndarray]:
    """Seeded split of ``n`` rows into (kept, held out) index arrays, each sorted.

    :param n: number of rows; ``seed``: the member's seed; ``fraction``: share held out.
    :return: ``(keep, hold)``, ``round(fraction * n)`` (at least 1) rows held out.

    Example:
        >>> keep, hold = holdout_split(10, seed=0)
        >>> len(keep), len(hold), sorted({*keep, *hold}) == list(range(10))
        (8, 2, True)
    """
    n_hold = max(1, round(fraction * n))
    order = np.random.default_rng([int(seed), HOLDOUT_STREAM]).permutation(n)
    return np.sort(order[n_hold:]), np.sort(order[:n_hold])


class EarlyStopMLPKind(EarlyStopMLPDescription, _PaperMLPKind):
    """``mlp-early-stop``: the paper's MLP, kept at its best held-out poisoned loss."""

    def fit_ensemble(self, r: FitRequest) -> tuple[Ensemble, History]:
        x, y, seeds = r.x, r.y, r.seeds
        splits = [holdout_split(y.shape[1], s) for s in seeds]
        members = torch.arange(len(seeds))[:, None]
        keep = torch.as_tensor(np.stack([k for k, _ in splits]))
        hold = torch.as_tensor(np.stack([h for _, h in splits]))
        x_hold, y_hold = x[members, hold], y[members, hold]
        net = self.build(r.model, r.data, x.shape[-1], seeds)
        params = list(net.parameters())
        best = [p.detach().clone() for p in params]
        best_loss = torch.full((len(seeds),), float("inf"), dtype=torch.float64)
        best_epoch = torch.zeros(len(seeds), dtype=torch.long)

        @torch.no_grad()
        def remember_best(epoch: int) -> bool:
            loss = per_member_bce(net(x_hold), y_hold).to(torch.float64)
            better = loss < best_loss
            for p, b in zip(params, best, strict=True):
                b[better] = p[better]
            best_loss[better] = loss[better]
            best_epoch[better] = epoch + 1
            return bool(epoch + 1 - int(best_epoch.max()) >= EARLY_STOP_PATIENCE)

        hist = fit(
            net,
            x[members, keep],
            y[members, keep],
            r.train,
            seeds,
            progress=r.progress,
            on_epoch=remember_best,
        )
        with torch.no_grad():
            for p, b in zip(params, best, strict=True):
                p.copy_(b)
        net.early_stop_epoch = best_epoch.tolist()
        return net, r.history(net, hist.train_loss)

    def extra_metrics(self, ensemble: Ensemble) -> list[dict[str, Any]]:
        rows = super().extra_metrics(ensemble)
        epochs = getattr(ensemble, "early_stop_epoch", [None] * len(rows))
        return [{**r, "early_stop_epoch": e} for r, e in zip(rows, epochs, strict=True)]


class WeightDecayMLPKind(WeightDecayMLPDescription, _PaperMLPKind):
    """``mlp-weight-decay``: the paper's MLP trained with Adam's L2 penalty
    :data:`WEIGHT_DECAY`."""

    fit_options: ClassVar[dict[str, Any]] = {"weight_decay": WEIGHT_DECAY}
