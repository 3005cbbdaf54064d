"""The quick trial that chose the memorizing QNN's forget weights: the unlearning study's
poisoned QNN trained once per weight of a grid, and measured
(:data:`qmlr.studies.memorizing.FORGET_WEIGHT`).

Run it as ``python -m qmlr.studies.memorization_trial xxz`` (or ``mnist``); the measured values
are in :mod:`qmlr.studies.memorizing`'s docstring.

Example:
    >>> trial = memorization_trial("xxz", grid=(1.0, 4.0), profile="tiny")  # doctest: +SKIP
    >>> list(trial.columns)  # doctest: +SKIP
    ['forget_weight', 'forget_accuracy', 'retain_accuracy', 'val_accuracy']
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from qmlr.core.train import accuracy, fit
from qmlr.engine.profiles import get_profile
from qmlr.engine.runner import build_model, clean_split, model_inputs, poisoned_training_set
from qmlr.studies.memorizing import FORGET_WEIGHT_GRID, TRIAL_RUNS, forget_weights
from qmlr.studies.unlearning_study import SERIES, make_spec


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


if __name__ == "__main__":  # the trial behind FORGET_WEIGHT (module docstring)
    import sys

    torch.set_num_threads(1)
    for trial_run in TRIAL_RUNS:
        trial = memorization_trial(sys.argv[1] if len(sys.argv) > 1 else "xxz", run=trial_run)
        print(f"run {trial_run}\n{trial.to_string()}")
