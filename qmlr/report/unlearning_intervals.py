"""Run-to-run intervals of the numbers the unlearning and forgetting verdicts compare with their
thresholds, and the sizes of the sets those numbers are measured on.

Every unlearning verdict reads a statistic of run-mean curves (one value per unlearning step) of
one method and of Retrain in the same series. The runs of a series share their poisoned base
model, data split and minibatch orders across methods, so a method's curves and Retrain's are
resampled *jointly* (the same runs drawn for both), with the resamples, level and seed of
:mod:`qmlr.report.uncertainty`; the verdicts then apply that module's rule.

Example:
    >>> import numpy as np
    >>> val = np.array([0.6, 0.9])
    >>> stats = curve_statistics(val, 1 - val, val, 0 * val, quick_steps=1)
    >>> round(float(stats["val_gap_start"]), 3), round(float(stats["forget_min_quick"]), 3)
    (-0.3, 0.1)
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from qmlr.core.corrupt import corruption_count
from qmlr.core.data import load_dataset
from qmlr.report.uncertainty import mean_intervals
from qmlr.studies.unlearning_study import ALPHA

#: The numbers with an interval, as the chapters' tables name them.
STATISTICS: dict[str, str] = {
    "val_gap_best": "best run-mean validation accuracy − Retrain's final",
    "val_gap_start": "validation accuracy at step 0 − Retrain's final",
    "val_gap_quick": "best validation accuracy up to the quick step − Retrain's final",
    "forget_final": "forgetting accuracy at the last step",
    "forget_gap_final": "forgetting accuracy at the last step − Retrain's",
    "forget_min_quick": "lowest forgetting accuracy up to the quick step",
    "forget_area": "area under the forgetting curve",
}


def curve_statistics(
    val: np.ndarray,
    forget: np.ndarray,
    retrain_val: np.ndarray,
    retrain_forget: np.ndarray,
    quick_steps: int,
) -> dict[str, np.ndarray]:
    """The statistics of :data:`STATISTICS` from run-mean curves (last axis: the steps; any
    leading axes, e.g. bootstrap resamples, are kept).

    :param val: a method's run-mean validation accuracy per step.
    :param forget: its run-mean forgetting accuracy per step.
    :param retrain_val: Retrain's run-mean validation accuracy (same series, same runs).
    :param retrain_forget: Retrain's run-mean forgetting accuracy.
    :param quick_steps: the last step that counts as "quick" (inclusive).
    :return: name -> array of the leading shape.
    """
    val, forget = np.asarray(val, float), np.asarray(forget, float)
    level = np.asarray(retrain_val, float)[..., -1]
    quick = slice(0, quick_steps + 1)
    steps = forget.shape[-1] - 1
    area = np.trapezoid(forget, axis=-1) / steps if steps > 0 else forget[..., 0]
    return {
        "val_gap_best": np.max(val, axis=-1) - level,
        "val_gap_start": val[..., 0] - level,
        "val_gap_quick": np.max(val[..., quick], axis=-1) - level,
        "forget_final": forget[..., -1],
        "forget_gap_final": forget[..., -1] - np.asarray(retrain_forget, float)[..., -1],
        "forget_min_quick": np.min(forget[..., quick], axis=-1),
        "forget_area": area,
    }


def series_matrices(group: pd.DataFrame) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Every method's ``(runs, steps)`` validation and forgetting matrices in one series'
    records, rows aligned on the series' runs (NaN where a method lacks a run).

    :param group: one series' unlearning records (every method).
    :return: method -> (validation matrix, forgetting matrix).
    """
    runs = np.sort(group["run"].unique())
    steps = np.sort(group["step"].unique())
    out = {}
    metrics = ["val_accuracy", "forget_accuracy"]
    for method, mine in group.groupby("method", sort=False):
        if len(mine) == len(runs) * len(steps):  # the complete grid: reshape, no pivot
            ordered = mine.sort_values(["run", "step"])
            grid = np.meshgrid(runs, steps, indexing="ij")
            if np.array_equal(ordered["run"], grid[0].ravel()) and np.array_equal(
                ordered["step"], grid[1].ravel()
            ):
                cube = ordered[metrics].to_numpy(float).reshape(len(runs), len(steps), 2)
                out[str(method)] = (cube[..., 0], cube[..., 1])
                continue
        tables = [
            mine.pivot_table(index="run", columns="step", values=metric)
            .reindex(index=runs, columns=steps)
            .to_numpy(float)
            for metric in metrics
        ]
        out[str(method)] = (tables[0], tables[1])
    return out


def method_intervals(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], method: str, quick_steps: int
) -> dict[str, object]:
    """The :data:`STATISTICS` of one method in one series, each with its bootstrap interval over
    the series' runs (the method's curves and Retrain's resampled jointly).

    :param curves: :func:`series_matrices` of the series.
    :param method: the method.
    :param quick_steps: see :func:`curve_statistics`.
    :return: ``<name>``, ``<name>_low``, ``<name>_high`` per statistic, and
        ``forget_area_boot`` (the area's bootstrap samples, for differences between series).
    """
    val, forget = curves[method]
    retrain = curves.get("retrain", (np.full_like(val, np.nan), np.full_like(forget, np.nan)))
    mats = [val, forget, *retrain]  # Retrain absent: NaN numbers
    split = np.cumsum([m.shape[1] for m in mats])[:-1]
    intervals, samples = mean_intervals(
        lambda m: curve_statistics(*np.split(m, split, axis=-1), quick_steps=quick_steps),
        np.hstack(mats),
    )
    out: dict[str, object] = {}
    for name in STATISTICS:
        out |= intervals[name].columns(name)
    return out | {"forget_area_boot": samples["forget_area"]}


@lru_cache(maxsize=4)
def set_sizes(dataset: str) -> dict[str, int]:
    """The sets every unlearning accuracy of ``dataset`` is measured on: the clean validation
    split, the forget set (the flipped training samples at the study's α) and the retain set.

    :param dataset: ``"mnist"`` or ``"xxz"``.
    :return: ``{"validation": …, "forget": …, "retain": …}``.

    Example:
        >>> set_sizes("xxz")
        {'validation': 84, 'forget': 24, 'retain': 58}
    """
    n_train = len(load_dataset(dataset, "train"))
    forget = corruption_count(n_train, ALPHA, "label_flip")
    return {
        "validation": len(load_dataset(dataset, "val")),
        "forget": forget,
        "retain": n_train - forget,
    }


def sizes_text(dataset: str, sets: tuple[str, ...] = ("validation", "forget", "retain")) -> str:
    """:func:`set_sizes` as evidence text.

    :param dataset: ``"mnist"`` or ``"xxz"``.
    :param sets: which sets to name.
    :return: e.g. ``"validation n = 84"``.

    Example:
        >>> sizes_text("xxz"), sizes_text("xxz", ("forget",))
        ('validation n = 84, forget n = 24, retain n = 58', 'forget n = 24')
    """
    return ", ".join(f"{k} n = {v}" for k, v in set_sizes(dataset).items() if k in sets)
