"""A QNN made to memorize its poison: the flipped training samples upweighted in the loss.

The paper's QNNs reproduce almost none of their flipped training labels (forgetting accuracy at
step 0 near zero), so "the QNN unlearns quickly" cannot be told apart from "the QNN never
learned the poison". A *memorizing* QNN separates the two: its base training weights the loss
of every flipped sample by ``w`` (every other sample by 1, :func:`forget_weights`), and ``w`` is
the smallest value of :data:`FORGET_WEIGHT_GRID` whose model reproduces at least
:data:`MEMORIZATION_TARGET` of the flipped labels on a quick trial (:func:`memorization_trial`,
run 0 at paper scale). The chosen weights are :data:`FORGET_WEIGHT`.

Example:
    >>> forget_weights(5, [1, 3], 4.0).tolist()
    [1.0, 4.0, 1.0, 4.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

#: Weights tried on the quick trial, smallest first.
FORGET_WEIGHT_GRID: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
#: Forgetting accuracy at step 0 (the poisoned labels reproduced) a memorizing QNN must reach.
MEMORIZATION_TARGET = 0.8
#: The chosen weight per dataset: the smallest of :data:`FORGET_WEIGHT_GRID` reaching
#: :data:`MEMORIZATION_TARGET` on :func:`memorization_trial` (paper scale, run 0).
FORGET_WEIGHT: dict[str, float] = {"xxz": 4.0}


def forget_weights(n: int, corrupted: Sequence[int], weight: float) -> np.ndarray:
    """Per-sample loss weights: ``weight`` on the ``corrupted`` rows, 1 elsewhere.

    :param n: training-set size.
    :param corrupted: indices of the flipped samples.
    :param weight: their weight (> 0).
    :return: float64 array of shape (n,).
    """
    if not weight > 0:
        raise ValueError(f"the forget weight must be positive, got {weight!r}")
    w = np.ones(n)
    w[np.asarray(corrupted, dtype=int)] = weight
    return w


def memorization_trial(
    dataset: str,
    grid: Sequence[float] = FORGET_WEIGHT_GRID,
    run: int = 0,
    profile: str = "paper",
) -> pd.DataFrame:
    """Train the unlearning study's poisoned QNN once per weight of ``grid`` (one ensemble: same
    poison, initialization and minibatch order; only the weight differs) and measure it.

    :param dataset: ``"mnist"`` or ``"xxz"``.
    :param grid: forget weights to try.
    :param run: the run whose poison and seeds are used.
    :param profile: the profile whose base training is used.
    :return: one row per weight: ``forget_weight``, ``forget_accuracy`` (poisoned labels of the
        flipped samples reproduced), ``retain_accuracy``, ``val_accuracy``.
    """
    from qmlr.experiments import get_profile
    from qmlr.runner import build_model, clean_split, model_inputs, poisoned_training_set
    from qmlr.train import accuracy, fit
    from qmlr.unlearning_study import SERIES, make_spec

    series = next(s for s in SERIES if s.dataset == dataset and s.kind == "qnn")
    spec = make_spec(series, get_profile(profile), run)
    cell = spec.cell()
    poisoned = poisoned_training_set(cell)
    x = model_inputs(poisoned.data.x, spec.model)
    y = torch.as_tensor(poisoned.data.y)
    n = len(y)
    weights = torch.as_tensor(np.stack([forget_weights(n, poisoned.corrupted, w) for w in grid]))
    seeds = [cell.model_seed()] * len(grid)
    model = build_model(spec.model, spec.data, x.shape[-1], seeds)
    xs, ys = x.expand(len(grid), -1, -1), y.expand(len(grid), -1)
    fit(model, xs, ys, spec.train, seeds, sample_weight=weights)
    drop = np.zeros(n, dtype=bool)
    drop[poisoned.corrupted] = True
    val = clean_split(spec.data, "val")
    x_val, y_val = model_inputs(val.x, spec.model), torch.as_tensor(val.y)
    return pd.DataFrame(
        {
            "forget_weight": list(grid),
            "forget_accuracy": accuracy(model, xs[:, drop], ys[:, drop]),
            "retain_accuracy": accuracy(model, xs[:, ~drop], ys[:, ~drop]),
            "val_accuracy": accuracy(model, x_val, y_val),
        }
    )


if __name__ == "__main__":  # the trial behind FORGET_WEIGHT: python -m qmlr.memorizing xxz
    import sys

    torch.set_num_threads(1)
    print(memorization_trial(sys.argv[1] if len(sys.argv) > 1 else "xxz").to_string())
