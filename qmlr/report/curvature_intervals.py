"""Run-to-run intervals of the numbers the curvature verdicts compare with their thresholds.

Claim 6 judges the shape of the mean trace ratio over the noisy α values — the mean trace at
each α over the mean clean (α = 0) trace of the same scope, model and definition. Each shape is
a few threshold tests on statistics of the run-mean trace curve (the ratio at the largest α,
the smallest and largest change between consecutive α, the largest ratio); the runs of the
curve are resampled jointly over α (the resamples, level and seed of
:mod:`qmlr.report.uncertainty`), the clean trace with them, so each statistic gets a bootstrap
interval and the verdicts apply that module's rule. A dead run is left out of every mean, as the
ratios leave it out.

Example:
    >>> import numpy as np
    >>> stats = ratio_statistics(np.array([[2.0, 1.8, 1.2, 0.6]]))
    >>> [round(float(stats[k][0]), 3) for k in ("max_ratio", "max_step")]
    [0.9, -0.3]
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from qmlr.report.uncertainty import (
    Interval,
    ThresholdTest,
    bootstrap_picks,
    mean_intervals,
    percentile_interval,
)

#: The statistics of a trace-ratio curve with an interval, as the tables name them.
RATIO_STATISTICS = {
    "top_ratio": "mean ratio at the largest α",
    "min_step": "smallest change of the mean ratio between consecutive α",
    "max_ratio": "largest mean ratio over the noisy α",
    "max_step": "largest change of the mean ratio between consecutive α",
}


def ratio_statistics(means: np.ndarray) -> dict[str, np.ndarray]:
    """The :data:`RATIO_STATISTICS` of run-mean trace curves.

    :param means: ``(..., alphas)`` run-mean traces, the clean (α = 0) trace first.
    :return: name -> array of the leading shape.
    """
    means = np.asarray(means, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratios = means[..., 1:] / means[..., :1]
    steps = np.diff(ratios, axis=-1)
    if steps.shape[-1] == 0:  # one noisy α: no change between α values
        steps = np.full((*ratios.shape[:-1], 1), np.nan)
    return {
        "top_ratio": ratios[..., -1],
        "min_step": np.min(steps, axis=-1),
        "max_ratio": np.max(ratios, axis=-1),
        "max_step": np.max(steps, axis=-1),
    }


def run_matrix(frame: pd.DataFrame, column: str, by: str | list[str] = "alpha") -> pd.DataFrame:
    """``(runs, by)`` table of ``column`` (NaN where a run is missing, e.g. dropped as dead).

    :param frame: curvature records of one curve.
    :param column: the value, e.g. ``"trace"``.
    :param by: the columns of the table (default the α values, increasing).
    :return: the table.
    """
    return frame.pivot_table(index="run", columns=by, values=column, dropna=False).sort_index(
        axis=1
    )


def ratio_intervals(table: pd.DataFrame) -> dict[str, Interval]:
    """The :data:`RATIO_STATISTICS` of one curve, each with its bootstrap interval over runs.

    :param table: :func:`run_matrix` of the traces (clean α first; dead runs left out).
    :return: name -> interval.
    """
    return mean_intervals(ratio_statistics, table.to_numpy(float))[0]


def shape_tests(
    kind: str,
    values: list[float],
    intervals: dict[str, Interval],
    thresholds: tuple[float, float],
    runs: int,
    sizes: str,
) -> list[ThresholdTest]:
    """Claim 6's shape as threshold tests: ``"mlp"`` rises at every step and reaches the strong
    rise; any other kind (the QNN's shape) stays at or below the ceiling and falls.

    :param kind: ``"mlp"`` for the MLP's shape, anything else for the QNN's.
    :param values: the mean ratios at the noisy α (point estimates).
    :param intervals: :func:`ratio_intervals` of the curve.
    :param thresholds: (strong rise, ceiling) — the constants of :mod:`qmlr.report.curvature`.
    :param runs: runs per α.
    :param sizes: the sets the traces are measured on.
    :return: two tests (their ``passes`` are the shape's parts on the point estimates).

    Example:
        >>> iv = {"max_ratio": Interval(0.6, 0.5, 1.1), "max_step": Interval(-0.1, -0.2, -0.05)}
        >>> [t.state for t in shape_tests("qnn", [0.6, 0.5], iv, (10.0, 1.0), 5, "")]
        ['inconclusive', 'passes']
    """
    strong_rise, ceiling = thresholds
    steps = np.diff(values)
    if kind == "mlp":
        parts = [
            ("min_step", (0.0,), bool(np.all(steps > 0))),
            ("top_ratio", (strong_rise,), bool(values[-1] >= strong_rise)),
        ]
    else:
        parts = [
            ("max_ratio", (ceiling,), bool(all(v <= ceiling for v in values))),
            ("max_step", (0.0,), bool(np.all(steps < 0))),
        ]
    return [
        ThresholdTest(RATIO_STATISTICS[n], intervals[n], t, ok, runs=runs, sizes=sizes)
        for n, t, ok in parts
    ]


def max_interval(table: pd.DataFrame) -> Interval:
    """The largest value of a ``(runs, columns)`` table over every run and column, with its
    bootstrap interval over runs (the runs resampled, the maximum retaken).

    :param table: e.g. :func:`run_matrix` with several columns.
    :return: the interval.

    Example:
        >>> t = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, np.nan]})
        >>> str(max_interval(t))
        '3.000 [2.000, 3.000]'
    """
    matrix = table.to_numpy(float)
    picks = bootstrap_picks(matrix.shape[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        samples = np.nanmax(np.where(np.isnan(matrix), -np.inf, matrix)[picks], axis=(1, 2))
    return percentile_interval(float(np.nanmax(matrix)), samples)


def mean_interval(table: pd.DataFrame, statistic) -> Interval:
    """A statistic of a table's run means (one per column), with its bootstrap interval over
    runs (every column resampled with the same runs).

    :param table: ``(runs, columns)``.
    :param statistic: called with the ``(..., columns)`` run means, returns ``(...)``.
    :return: the interval.

    Example:
        >>> t = pd.DataFrame({"a": [1.0, 3.0], "b": [2.0, 2.0]})
        >>> mean_interval(t, lambda m: m[..., 0] - m[..., 1]).estimate
        0.0
    """
    return mean_intervals(lambda m: {"": statistic(m)}, table.to_numpy(float))[0][""]


def sizes_text(runs: int, hessian_samples: int | None) -> str:
    """The runs and Hessian samples behind a curvature number, as evidence text.

    Example:
        >>> sizes_text(5, 100), sizes_text(1, None)
        ('5 runs per α; Hessian on 100 samples', '1 run per α')
    """
    text = f"{runs} run{'s' if runs != 1 else ''} per α"
    return text + (f"; Hessian on {hessian_samples} samples" if hessian_samples else "")
