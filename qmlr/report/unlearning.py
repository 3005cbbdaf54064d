"""The unlearning study's summary: thresholds, curve statistics with their run-bootstrap
intervals, and the sets they are measured on.

Everything here reads the study's tidy records
(:func:`qmlr.studies.unlearning_study.records_frame`). Every unlearning verdict reads a statistic
of run-mean curves (one value per step) of one method and of Retrain in the same series; the runs
of a series share their poisoned base model, data split and minibatch orders across methods, so a
method's curves and Retrain's are resampled *jointly*, with the resamples, level and seed of
:mod:`qmlr.report.uncertainty`. The checks are in :mod:`qmlr.report.unlearning_checks`, the
chapters' tables, prose and figures in :mod:`qmlr.report.unlearning_tables`.

Example:
    >>> steps_to_reach([0.5, 0.7, 0.9, 0.95], target=0.95, tolerance=0.02)
    3
    >>> val = np.array([0.6, 0.9])
    >>> stats = curve_statistics(val, 1 - val, val, 0 * val, quick_steps=1)
    >>> round(float(stats["val_gap_start"]), 3), round(float(stats["forget_min_quick"]), 3)
    (-0.3, 0.1)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from qmlr.core.corrupt import corruption_count
from qmlr.core.data import load_dataset
from qmlr.core.unlearn_catalog import METHODS, METRICS
from qmlr.report.uncertainty import mean_intervals, validation_size
from qmlr.studies.study import load_results
from qmlr.studies.unlearning_study import ALPHA, SERIES_COLUMNS, Series, records_frame

#: "Retrain level": within this of Retrain's final (step-50) mean validation accuracy.
RETRAIN_TOLERANCE = 0.02


#: "Quickly": within the first fifth of the 50 steps.
QUICK_STEPS = 10


#: "Stubborn memories" (SI §III: "a large gap between the approximate methods and the
#: baseline"): an approximate method's final forgetting accuracy exceeds Retrain's by at least
#: this (0.1 = 15 of the 150 MNIST or 2.4 of the 24 XXZ forget samples).
STUBBORN_GAP = 0.1


#: Forgetting accuracy at or below this = "near zero".
FORGOTTEN_LEVEL = 0.1


#: Fewer runs or steps than these: verdicts are "not evaluated at this scale".
MIN_RUNS = 3


#: The forgetting chapter calls the poisoned MLP's and QNN's memorized fractions at step 0
#: different when they differ by more than this.
START_GAP = 0.2


#: How the chapters report a method already at Retrain's level at step 0.
STARTS_AT_RETRAIN = "starts at Retrain's level"


def step_of(steps: float | None) -> int | None:
    """A step count of a :func:`summary_table` row as an ``int`` (``None`` or NaN: never).

    Example:
        >>> step_of(3.0), step_of(float("nan")), step_of(None)
        (3, None, None)
    """
    return None if steps is None or pd.isna(steps) else int(steps)


def within(steps: float | None, limit: int = QUICK_STEPS) -> bool:
    """Whether a step count (:func:`step_of`) is reached, by step ``limit`` at the latest.

    Example:
        >>> within(QUICK_STEPS), within(QUICK_STEPS + 1), within(None)
        (True, False, False)
    """
    return (step := step_of(steps)) is not None and step <= limit


def starts_at_retrain(steps: int | None) -> bool:
    """Whether a method's validation curve is at Retrain's level already at step 0 (its
    ``steps_to_retrain`` is 0: the poisoned model has nothing to reach).

    Example:
        >>> starts_at_retrain(0), starts_at_retrain(3), starts_at_retrain(None)
        (True, False, False)
    """
    return step_of(steps) == 0


def steps_text(steps: int | None, total: int) -> str:
    """A step count as the chapters print it (``None`` or NaN: never within ``total``).

    Example:
        >>> steps_text(3, 50), steps_text(None, 50)
        ('3', 'never in 50')
    """
    return f"never in {total}" if step_of(steps) is None else str(step_of(steps))


def reach_text(row: pd.Series) -> str:
    """When a method's run-mean validation curve reaches Retrain's level, counted from a start
    below it: :data:`STARTS_AT_RETRAIN`, the step, or never (:func:`steps_text`).

    :param row: a :func:`summary_table` row.
    :return: the text.

    Example:
        >>> reach_text(pd.Series({"steps_to_retrain": 0, "steps": 50}))
        "starts at Retrain's level"
    """
    steps = row["steps_to_retrain"]
    return STARTS_AT_RETRAIN if starts_at_retrain(steps) else steps_text(steps, int(row["steps"]))


def method_row(summary: pd.DataFrame, series: Series, method: str) -> pd.Series | None:
    """The :func:`summary_table` row of one method in one series (``None``: no results).

    :param summary: :func:`summary_table` output.
    :param series: the series.
    :param method: the method.
    :return: the row.
    """
    sel = summary["method"] == method
    for column, value in series.coords.items():
        sel &= summary[column] == value
    rows = summary[sel]
    return rows.iloc[0] if len(rows) else None


def curve_stats(records: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over runs of every metric, per series, method and step.

    :param records: :func:`records_frame` output.
    :return: indexed by ``(*SERIES_COLUMNS, method, step)``; columns ``<metric>_mean``,
        ``<metric>_std`` (population std over runs) and ``runs``.
    """
    grouped = records.groupby([*SERIES_COLUMNS, "method", "step"], sort=True)
    out = pd.DataFrame({"runs": grouped.size()})
    for m in METRICS:
        out[f"{m}_mean"] = grouped[m].mean()
        out[f"{m}_std"] = grouped[m].std(ddof=0)
    return out


def steps_to_reach(curve: Sequence[float], target: float, tolerance: float) -> int | None:
    """First step at which ``curve >= target - tolerance`` (``None``: never).

    Example:
        >>> steps_to_reach([0.5, 0.9, 0.97], 0.98, 0.02)
        2
    """
    hits = np.flatnonzero(np.asarray(curve, float) >= target - tolerance)
    return int(hits[0]) if hits.size else None


def forgetting_area(curve: Sequence[float]) -> float:
    """Area under the forgetting-accuracy curve over steps 0 … S, divided by S (in [0, 1]).

    The trapezoidal area normalized to the run length, so it reads as the average forgetting
    accuracy over the run: 1 = the poison was reproduced throughout, 0 = never.

    Example:
        >>> forgetting_area([1.0, 0.0, 0.0])
        0.25
    """
    curve = np.asarray(curve, float)
    if curve.size < 2:
        return float(curve[0]) if curve.size else float("nan")
    return float(np.trapezoid(curve) / (curve.size - 1))


def summary_table(records: pd.DataFrame, tolerance: float = RETRAIN_TOLERANCE) -> pd.DataFrame:
    """Per series and method: final accuracies, steps to Retrain level, forgetting measures.

    Columns: the series columns, ``role``, ``method``, ``runs``, ``steps``; ``val_start``,
    ``val_final_mean`` / ``_std`` (validation accuracy at step 0 and at the last step);
    ``retrain_val_final`` (Retrain's final mean); ``steps_to_retrain`` (first step at which the
    run-mean validation curve is at least ``retrain_val_final - tolerance``, ``None`` = never);
    ``forget_start`` / ``forget_final_mean`` / ``_std`` (forgetting accuracy at step 0 and the
    last step); ``forget_area_mean`` / ``_std`` (per-run :func:`forgetting_area`); and
    ``steps_to_forgotten`` (first step with run-mean forgetting accuracy ≤
    :data:`FORGOTTEN_LEVEL`); and the numbers the verdicts judge, each with its bootstrap
    interval over runs (:func:`method_intervals`).
    """
    rows = []
    for coords, group in records.groupby(SERIES_COLUMNS, sort=False):
        means = group.groupby(["method", "step"])[["val_accuracy", "forget_accuracy"]].mean()
        retrain_final = (
            float(means.loc["retrain"]["val_accuracy"].iloc[-1])
            if "retrain" in means.index.get_level_values(0)
            else float("nan")
        )
        matrices = series_matrices(group)
        for method in [m for m in METHODS if m in set(group["method"])]:
            g = group[group["method"] == method]
            last = int(g["step"].max())
            final = g[g["step"] == last]
            val_curve = means.loc[method]["val_accuracy"].to_numpy()
            forget_curve = means.loc[method]["forget_accuracy"].to_numpy()
            areas = g.groupby("run")["forget_accuracy"].apply(forgetting_area)
            rows.append(
                {
                    **dict(zip(SERIES_COLUMNS, coords, strict=True)),
                    "role": g["role"].iloc[0],
                    "method": method,
                    "runs": int(g["run"].nunique()),
                    "steps": last,
                    "val_start": float(val_curve[0]),
                    "val_final_mean": float(final["val_accuracy"].mean()),
                    "val_final_std": float(final["val_accuracy"].std(ddof=0)),
                    "retrain_val_final": retrain_final,
                    "steps_to_retrain": steps_to_reach(val_curve, retrain_final, tolerance),
                    "forget_start": float(forget_curve[0]),
                    "forget_final_mean": float(final["forget_accuracy"].mean()),
                    "forget_final_std": float(final["forget_accuracy"].std(ddof=0)),
                    "forget_area_mean": float(areas.mean()),
                    "forget_area_std": float(areas.std(ddof=0)),
                    "steps_to_forgotten": steps_to_reach(-forget_curve, -FORGOTTEN_LEVEL, 0.0),
                }
                | method_intervals(matrices, method, QUICK_STEPS)
            )
    return pd.DataFrame(rows)


def profile_summary(profile: str, results_dir: str | None = None) -> pd.DataFrame:
    """:func:`summary_table` of every unlearning result of ``profile`` (stored sealed by
    :mod:`qmlr.report.stored` for the chapters that show it).

    :param profile: a profile name.
    :param results_dir: unused (the profile's own results are read).
    :return: the table.
    """
    return summary_table(records_frame(load_results("unlearning", profile)))


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
    return {"validation": validation_size(dataset), "forget": forget, "retain": n_train - forget}


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
