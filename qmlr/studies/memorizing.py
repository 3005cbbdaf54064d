"""A QNN made to memorize its poison: the flipped training samples upweighted in the loss.

The paper's QNNs reproduce almost none of their flipped training labels (forgetting accuracy at
step 0 near zero), so "the QNN unlearns quickly" cannot be told apart from "the QNN never
learned the poison". A *memorizing* QNN separates the two: its base training weights the loss
of every flipped sample by ``w`` (every other sample by 1, :func:`forget_weights`), and ``w`` is
the smallest value of :data:`FORGET_WEIGHT_GRID` whose model reproduces at least
:data:`MEMORIZATION_TARGET` of the flipped labels in each run of a quick trial
(:func:`qmlr.studies.memorization_trial.memorization_trial` on :data:`TRIAL_RUNS` at paper
scale). The chosen weights are
:data:`FORGET_WEIGHT`.

Measured (XXZ, depth-4 QNN, α = 0.3: 24 flipped of 82): the QNN does not memorize the flipped
samples one by one; once their total weight outgrows the clean samples' (``w`` ≈ 58 / 24) it
learns the inverted rule instead, so forgetting accuracy rises as retain and validation accuracy
fall. Run 0: w = 2.25 → forget 0.33, val 0.67; 2.5 → 0.79, 0.20; 2.75 → 0.83, 0.15; 3 and above →
1.0, 0.0. Run 1: 2.5 → 1.0, 0.01; 2.75 and above → 1.0, 0.0. MNIST (depth-6 QNN, 150 flipped of
500) behaves alike, more gradually: run 0: w = 2 → forget 0.26, val 0.79; 2.5 → 0.63, 0.51;
2.75 → 0.73, 0.38; 3 → 0.81, 0.31. Run 1: 2.75 → 0.77, 0.26; 3 → 0.86, 0.19; 4 → 0.95, 0.09.

Example:
    >>> forget_weights(5, [1, 3], 4.0).tolist()
    [1.0, 4.0, 1.0, 4.0, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Weights tried on the quick trial, smallest first.
FORGET_WEIGHT_GRID: tuple[float, ...] = (1.0, 2.0, 2.25, 2.5, 2.75, 3.0, 3.5, 4.0, 8.0, 16.0, 32.0)
#: The runs of the quick trial (the weight must reach the target in each).
TRIAL_RUNS: tuple[int, ...] = (0, 1)
#: Forgetting accuracy at step 0 (the poisoned labels reproduced) a memorizing QNN must reach.
MEMORIZATION_TARGET = 0.8
#: The chosen weight per dataset: the smallest of :data:`FORGET_WEIGHT_GRID` reaching
#: :data:`MEMORIZATION_TARGET` in every run of :data:`TRIAL_RUNS` (paper scale; measured values
#: in the module docstring).
FORGET_WEIGHT: dict[str, float] = {"xxz": 2.75, "mnist": 3.0}


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
